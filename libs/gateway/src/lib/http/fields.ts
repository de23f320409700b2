import { requestError } from './api-error';

/**
 * Typed reads of a request body's fields: a wrong type is a 400 naming the field. `take`
 * marks a field as handled; `refuseRest` answers any field the route does not carry to a
 * backend with a 400 naming it, so nothing a client asks for is dropped in silence.
 */
/** Why a field the gateway does not carry is refused (the API's 400 names the field). */
export const NOT_CARRIED = 'the gateway does not carry it to a backend';

export class Fields {
  private readonly seen = new Set<string>();

  constructor(
    private readonly body: Record<string, unknown>,
    private readonly prefix = '',
  ) {}

  private name(key: string): string {
    return this.prefix + key;
  }

  has(key: string): boolean {
    return this.body[key] !== undefined && this.body[key] !== null;
  }

  raw(key: string): unknown {
    this.seen.add(key);
    const v = this.body[key];
    return v === null ? undefined : v;
  }

  string(key: string): string | undefined {
    const v = this.raw(key);
    if (v !== undefined && typeof v !== 'string') throw requestError(400, `${this.name(key)} must be a string`, this.name(key));
    return v;
  }

  requiredString(key: string): string {
    const v = this.string(key);
    if (v === undefined || v === '') throw requestError(400, `${this.name(key)} is required`, this.name(key));
    return v;
  }

  number(key: string): number | undefined {
    const v = this.raw(key);
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) throw requestError(400, `${this.name(key)} must be a number`, this.name(key));
    return v;
  }

  integer(key: string): number | undefined {
    const v = this.number(key);
    if (v !== undefined && !Number.isInteger(v)) throw requestError(400, `${this.name(key)} must be an integer`, this.name(key));
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v !== undefined && typeof v !== 'boolean') throw requestError(400, `${this.name(key)} must be a boolean`, this.name(key));
    return v;
  }

  array(key: string): unknown[] | undefined {
    const v = this.raw(key);
    if (v !== undefined && !Array.isArray(v)) throw requestError(400, `${this.name(key)} must be an array`, this.name(key));
    return v;
  }

  object(key: string): Record<string, unknown> | undefined {
    const v = this.raw(key);
    if (v !== undefined && (typeof v !== 'object' || Array.isArray(v))) throw requestError(400, `${this.name(key)} must be an object`, this.name(key));
    return v as Record<string, unknown> | undefined;
  }

  /** A string or an array of strings (`stop`), as an array. */
  strings(key: string): string[] | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v as string[];
    throw requestError(400, `${this.name(key)} must be a string or an array of strings`, this.name(key));
  }

  /** Accepts the field only with its default value (`n: 1`); any other value is refused, naming it. */
  onlyDefault(key: string, allowed: readonly unknown[], why: string): void {
    const v = this.raw(key);
    if (v !== undefined && !allowed.includes(v)) throw requestError(400, `${this.name(key)} ${JSON.stringify(v)} is not supported: ${why}`, this.name(key));
  }

  /** Every field not read yet is refused with a 400 naming it. */
  refuseRest(why: string): void {
    for (const key of Object.keys(this.body)) {
      if (this.seen.has(key) || this.body[key] === undefined || this.body[key] === null) continue;
      throw requestError(400, `${this.name(key)} is not supported: ${why}`, this.name(key));
    }
  }

  /** The fields not read yet, as written (for a pass-through). */
  rest(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.body)) if (!this.seen.has(k) && v !== undefined && v !== null) out[k] = v;
    return out;
  }
}
