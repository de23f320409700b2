/**
 * A JSON Schema in a few words, for messages: `an object with topic (string), points (list
 * of string)`. Never the whole schema: a message names the shape, the file has the rest.
 */
export function describeSchemaShape(schema: Record<string, unknown>, depth = 0): string {
  const type = schema['type'];
  if (Array.isArray(schema['enum'])) return `one of ${(schema['enum'] as unknown[]).slice(0, 5).map((v) => JSON.stringify(v)).join(', ')}${(schema['enum'] as unknown[]).length > 5 ? ', ...' : ''}`;
  if (type === 'object') {
    const props = Object.keys((schema['properties'] as Record<string, unknown> | undefined) ?? {});
    if (props.length === 0 || depth > 0) return 'an object';
    const required = new Set((schema['required'] as string[] | undefined) ?? []);
    const shown = props.slice(0, 6).map((p) => {
      const child = ((schema['properties'] as Record<string, Record<string, unknown>>)[p] ?? {}) as Record<string, unknown>;
      return `${p}${required.has(p) ? '' : '?'} (${describeSchemaShape(child, depth + 1).replace(/^an? /, '')})`;
    });
    return `an object with ${shown.join(', ')}${props.length > 6 ? `, and ${props.length - 6} more` : ''}`;
  }
  if (type === 'array') {
    const items = schema['items'] as Record<string, unknown> | undefined;
    return items && depth < 2 ? `a list of ${describeSchemaShape(items, depth + 1).replace(/^an? /, '')}` : 'a list';
  }
  if (typeof type === 'string') return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
  if (Array.isArray(type)) return type.join(' or ');
  return 'any JSON value';
}
