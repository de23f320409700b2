/**
 * Options for one provider's adapter, keyed by provider (`ollama`, `openai`, `llamaCpp`, or
 * an adapter's own): the adapter that owns a key passes its options through onto its wire
 * format as written; other adapters ignore them. They travel without widening the core
 * request (llama.cpp's `grammar`, vLLM's `guided_json`, Ollama's `think`).
 */
export type ProviderOptions = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** Something an adapter could not do as the request asked: reported, never dropped silently. */
export interface ModelWarning {
  type: 'unsupported-option' | 'other';
  /** The adapter's provider key. */
  provider: string;
  /** The request option it concerns (`numCtx`, `providerOptions.openai.foo`). */
  option?: string;
  message: string;
}

/** A warning for an option the server has no way to receive. */
export function unsupportedOption(provider: string, option: string, why: string): ModelWarning {
  return { type: 'unsupported-option', provider, option, message: `${provider}: ${option} is not sent (${why})` };
}

const transportOnly = new Map<string, Set<string>>();

/**
 * An adapter declares which of its provider options change only how a request is served,
 * not what the model says (llama.cpp's `cache_prompt`, Ollama's `keep_alive`): fixture
 * cassettes leave them out of a request's identity.
 */
export function declareTransportOnlyOptions(provider: string, keys: readonly string[]): void {
  let set = transportOnly.get(provider);
  if (!set) transportOnly.set(provider, (set = new Set()));
  for (const k of keys) set.add(k);
}

/** Every provider's declared transport-only options. */
export function transportOnlyOptions(): ReadonlyMap<string, ReadonlySet<string>> {
  return transportOnly;
}
