import { FlotillaError } from '../errors/flotilla-error';

/**
 * The JSON Schema subset that Ollama `format`, OpenAI strict `json_schema` (vLLM, llama.cpp
 * server) and llama.cpp grammars all enforce. See docs/json-schema-subset.md.
 */
const ALLOWED_KEYWORDS: Readonly<Record<string, ReadonlySet<string>>> = {
  object: new Set(['type', 'properties', 'required', 'additionalProperties', 'description', 'title']),
  array: new Set(['type', 'items', 'minItems', 'maxItems', 'description', 'title']),
  string: new Set(['type', 'enum', 'const', 'maxLength', 'minLength', 'description', 'title']),
  number: new Set(['type', 'enum', 'const', 'minimum', 'maximum', 'description', 'title']),
  integer: new Set(['type', 'enum', 'const', 'minimum', 'maximum', 'description', 'title']),
  boolean: new Set(['type', 'const', 'description', 'title']),
  null: new Set(['type', 'description', 'title']),
  anyOf: new Set(['anyOf', 'description', 'title']),
};

/** Returns every place where `schema` leaves the portable subset; empty when it fits. */
export function portableSchemaViolations(schema: unknown, path = '#'): string[] {
  const out: string[] = [];
  visit(schema, path, out);
  return out;
}

export function assertPortableSchema(schema: unknown, where: string): void {
  const violations = portableSchemaViolations(schema);
  if (violations.length > 0) {
    throw new FlotillaError('config', `${where}: schema leaves the portable subset: ${violations.join('; ')}`, {
      details: { where, violations },
    });
  }
}

function visit(node: unknown, path: string, out: string[]): void {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    out.push(`${path}: expected a schema object`);
    return;
  }
  const s = node as Record<string, unknown>;
  const kind = Array.isArray(s['anyOf']) ? 'anyOf' : s['type'];
  if (typeof kind !== 'string' || !(kind in ALLOWED_KEYWORDS)) {
    out.push(`${path}: needs a single "type" (object, array, string, number, integer, boolean, null) or "anyOf"`);
    return;
  }
  const allowed = ALLOWED_KEYWORDS[kind]!;
  for (const key of Object.keys(s)) {
    if (!allowed.has(key)) out.push(`${path}: keyword "${key}" is not portable for ${kind}`);
  }
  if (kind === 'object') {
    const props = (s['properties'] ?? {}) as Record<string, unknown>;
    const required = new Set(Array.isArray(s['required']) ? (s['required'] as string[]) : []);
    if (s['additionalProperties'] !== false) out.push(`${path}: objects need "additionalProperties": false`);
    for (const [name, child] of Object.entries(props)) {
      if (!required.has(name)) out.push(`${path}/properties/${name}: every property must be required (use anyOf with null for optional values)`);
      visit(child, `${path}/properties/${name}`, out);
    }
  } else if (kind === 'array') {
    if (s['items'] === undefined) out.push(`${path}: arrays need "items"`);
    else visit(s['items'], `${path}/items`, out);
  } else if (kind === 'anyOf') {
    (s['anyOf'] as unknown[]).forEach((child, i) => visit(child, `${path}/anyOf/${i}`, out));
  } else if (kind === 'string' && s['enum'] !== undefined) {
    if (!Array.isArray(s['enum']) || !(s['enum'] as unknown[]).every((v) => typeof v === 'string')) {
      out.push(`${path}: string enums must list strings`);
    }
  }
}
