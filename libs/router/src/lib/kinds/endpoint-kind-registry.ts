import { FlotillaError, closestName, oneOfFlag } from '@flotilla/core';
import type { EndpointConfig } from '../config/router-config.schema';
import type { EndpointKind } from './endpoint-kind';

const KIND_NAME = /^[a-z][a-z0-9-]*$/;

/** The endpoint kinds a process knows, by name, in the order they were registered. */
export class EndpointKindRegistry {
  private readonly kinds = new Map<string, EndpointKind>();

  /** Adds a kind; a name already taken is a `config` error (a kind is never replaced behind its users' backs). */
  register<O>(kind: EndpointKind<O>): this {
    if (typeof kind?.name !== 'string' || !KIND_NAME.test(kind.name)) {
      throw new FlotillaError('config', `endpointKinds.register: expected a kind name of lowercase letters, digits and "-", got ${JSON.stringify(kind?.name)}`);
    }
    if (typeof kind.create !== 'function') throw new FlotillaError('config', `endpointKinds.register(${kind.name}): expected a create(endpoint, context) function`);
    if (this.kinds.has(kind.name)) throw new FlotillaError('config', `endpointKinds.register: an endpoint kind named "${kind.name}" is already registered`);
    // A kind's options type is its own: it is only ever called with what its schema parsed.
    this.kinds.set(kind.name, kind as unknown as EndpointKind);
    return this;
  }

  /**
   * The kind of this name. An unknown one is a `config` error that says where the name came
   * from (`--backend`, `FLOTILLA_BACKEND`), which kinds exist (`first` leading, e.g. the
   * command's default) and the closest one.
   */
  get(name: string, where = 'kind', first?: string): EndpointKind {
    const names = this.keys();
    const order = first !== undefined && this.kinds.has(first) ? [first, ...names.filter((n) => n !== first)] : names;
    return this.kinds.get(oneOfFlag(where, name, order))!;
  }

  find(name: string): EndpointKind | undefined {
    return this.kinds.get(name);
  }

  /** Names in registration order; with `where`, of the kinds it accepts (e.g. those that read `url`). */
  keys(where?: (kind: EndpointKind) => boolean): string[] {
    return [...this.kinds.values()].filter((k) => !where || where(k)).map((k) => k.name);
  }

  /** The registered name closest to a misspelt one, if any is close. */
  closest(name: string): string | undefined {
    return closestName(name, this.keys());
  }
}

/** An entry's `options`, parsed by its kind's schema (defaults applied); `{}` for a kind without options. */
export function kindOptions(kind: EndpointKind, endpoint: Pick<EndpointConfig, 'options'>): Record<string, unknown> {
  return kind.options ? kind.options.parse(endpoint.options ?? {}) : {};
}

/** The keys a kind's options schema declares (a zod object's shape). */
export function optionKeys(kind: EndpointKind): string[] {
  const shape = (kind.options as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
}
