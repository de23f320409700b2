/** Ollama names without a tag mean ":latest"; compare names in this form. */
export function canonicalModel(name: string): string {
  return name.includes(':') || name.includes('/') ? name : `${name}:latest`;
}

/**
 * The one name of a model on an endpoint of this kind: Ollama's with its tag
 * (`llama3.2` is `llama3.2:latest`), every other kind's exactly as the server lists it
 * (an OpenAI-compatible server's id, llama-server's alias, a GGUF file's configured name).
 */
export function modelNameRule(kind: string): (name: string) => string {
  return kind === 'ollama' ? canonicalModel : (name) => name;
}
