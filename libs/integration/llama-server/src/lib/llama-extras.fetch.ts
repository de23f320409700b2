/**
 * llama.cpp request fields that the OpenAI API lacks and `OpenAICompatibleModelClient` never
 * sends; llama-server reads them from the chat completions body.
 */
export interface LlamaExtras {
  /** GBNF grammar the output must match (not together with `response_format` or tools). */
  grammar?: string;
  /** Keep generating past the end-of-sequence token. */
  ignore_eos?: boolean;
  /** Tokens to generate; wins over `max_tokens`. */
  n_predict?: number;
  /** Overrides the request's tool choice (the OpenAI field): `required` forces a grammar-valid call. */
  tool_choice?: 'required';
  /** Overrides the request's parallel calls (the OpenAI field): false allows one call a reply. */
  parallel_tool_calls?: boolean;
  /** Added to the logits of these token ids (llama.cpp's array form: `[[id, bias], ...]`). */
  logit_bias?: [number, number][];
}

/**
 * Decides the extras of one chat request from its body (and may wait before it is sent);
 * undefined sends the body unchanged.
 */
export type ExtrasFor = (body: Record<string, unknown>) => LlamaExtras | undefined | Promise<LlamaExtras | undefined>;

/**
 * A fetch for the client's `fetch` option that merges llama.cpp extras into chat completions
 * bodies, the way a test scripts a real server per request. Everything else passes unchanged.
 */
export function llamaExtrasFetch(extrasFor: ExtrasFor, base: typeof fetch = globalThis.fetch): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.endsWith('/chat/completions') || typeof init?.body !== 'string') return base(input, init);
    const body = JSON.parse(init.body) as Record<string, unknown>;
    const extras = await extrasFor(body);
    if (!extras) return base(input, init);
    const headers = new Headers(init.headers);
    headers.delete('content-length');
    return base(input, { ...init, headers, body: JSON.stringify({ ...body, ...extras }) });
  };
}

/** A GBNF grammar that matches exactly `text`. */
export function literalGrammar(text: string): string {
  const escaped = text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  return `root ::= "${escaped}"`;
}
