/** A run's step outputs and variables by name, as steps see them (`StepContext.vars`). */
export type Scope = Readonly<Record<string, unknown>>;

/** `${root.a.0.b}`: a name, then property names or list indexes. Nothing else: no calls, no operators. */
export interface Reference {
  root: string;
  path: (string | number)[];
  /** The text between `${` and `}`. */
  text: string;
}

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_-]*$|^(0|[1-9][0-9]*)$/;
/** Property names that would reach prototypes or constructors; never looked up. */
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);
const REF = /\$\{([^}]*)\}/g;

/** Parses the inside of `${...}`; returns an error message when it is not a plain path. */
export function parseReference(text: string): Reference | string {
  const trimmed = text.trim();
  const parts = trimmed.replace(/\[(\d+)\]/g, '.$1').split('.');
  if (parts.some((p) => !SEGMENT.test(p))) return `"\${${text}}" is not a reference: expected a name followed by .property or .0 (list index), e.g. \${plan.steps.0.title}`;
  if (parts.some((p) => FORBIDDEN.has(p))) return `"\${${text}}": "${parts.find((p) => FORBIDDEN.has(p))}" cannot be referenced`;
  if (/^\d/.test(parts[0]!)) return `"\${${text}}": a reference starts with a name, not a number`;
  return { root: parts[0]!, path: parts.slice(1).map((p) => (/^\d+$/.test(p) ? Number(p) : p)), text: trimmed };
}

/** A string that is exactly one reference, e.g. "${plan}" (its value keeps its type). */
export function wholeReference(value: string): string | undefined {
  const m = /^\$\{([^}]*)\}$/.exec(value);
  return m ? m[1] : undefined;
}

/** Every `${...}` in a string, with its offset. */
export function referencesIn(value: string): { text: string; offset: number }[] {
  return [...value.matchAll(REF)].map((m) => ({ text: m[1]!, offset: m.index }));
}

/** What references are resolved against: the run's scope, plus the step's incoming `value`. */
export interface RefContext {
  scope: Scope;
  extra?: Readonly<Record<string, unknown>>;
}

/** Looks a reference up: own properties only below the root; a missing step gives undefined. */
export function lookup(ref: Reference, ctx: RefContext): unknown {
  let current: unknown = ctx.extra && Object.hasOwn(ctx.extra, ref.root) ? ctx.extra[ref.root] : scopeGet(ctx.scope, ref.root);
  for (const seg of ref.path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, seg)) return undefined;
    current = (current as Record<string | number, unknown>)[seg];
  }
  return current;
}

/** A scope name, through the fan-out scopes' prototype chain but never into Object.prototype. */
function scopeGet(scope: Scope, name: string): unknown {
  let o: object | null = scope;
  while (o && o !== Object.prototype) {
    if (Object.hasOwn(o, name)) return (o as Record<string, unknown>)[name];
    o = Object.getPrototypeOf(o) as object | null;
  }
  return undefined;
}

/** A value template compiled once: resolving it walks the structure and replaces references. */
export type ValueFn = (ctx: RefContext) => unknown;

/**
 * Compiles a value template: strings that are exactly `${ref}` become the referenced value,
 * strings with `${ref}` inside are interpolated (non-strings as JSON), everything else is
 * kept. References must have been checked (the validator reports bad ones with positions).
 */
export function compileValue(template: unknown): ValueFn {
  if (typeof template === 'string') {
    const whole = wholeReference(template);
    if (whole !== undefined) {
      const ref = asRef(whole);
      return (ctx) => lookup(ref, ctx);
    }
    const refs = referencesIn(template);
    if (refs.length === 0) return () => template;
    const parts = template.split(/\$\{[^}]*\}/);
    const compiled = refs.map((r) => asRef(r.text));
    return (ctx) => parts.map((p, i) => (i < compiled.length ? p + text(lookup(compiled[i]!, ctx)) : p)).join('');
  }
  if (Array.isArray(template)) {
    const items = template.map(compileValue);
    return (ctx) => items.map((f) => f(ctx));
  }
  if (template !== null && typeof template === 'object') {
    const entries = Object.entries(template).map(([k, v]) => [k, compileValue(v)] as const);
    return (ctx) => {
      const out: Record<string, unknown> = {};
      for (const [k, f] of entries) {
        const v = f(ctx);
        if (v !== undefined) out[k] = v;
      }
      return out;
    };
  }
  return () => template;
}

function asRef(text: string): Reference {
  const ref = parseReference(text);
  if (typeof ref === 'string') throw new Error(ref);
  return ref;
}

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}
