/** Ollama names without a tag mean ":latest"; compare names in this form. */
export function canonicalModel(name: string): string {
  return name.includes(':') || name.includes('/') ? name : `${name}:latest`;
}
