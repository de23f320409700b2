import type { ChatRequest, RunnerOptions } from './chat-request';

/**
 * A client that knows how large a model's context window is. The engine checks every
 * prompt against it and applies the agent's overflow strategy, because servers do not
 * say when they cut a prompt (Ollama drops the oldest messages silently by default).
 */
export interface ContextWindowAware {
  /**
   * Tokens a request to `model` may use, prompt and reply together, with these runner
   * options (Ollama: `numCtx`, else the server's default); undefined when the server does
   * not say. Rejects with a `FlotillaError` when it cannot ask (unreachable, `timeout`):
   * the lookup is a network call with a deadline of its own, and aborting `signal`
   * cancels it.
   */
  contextWindow(model: string, options?: RunnerOptions, signal?: AbortSignal): Promise<number | undefined>;
  /** Exact prompt tokens where the client has the tokenizer; otherwise the engine estimates. */
  countPromptTokens?(request: ChatRequest): number | Promise<number>;
}

export function isContextWindowAware(client: object): client is ContextWindowAware {
  return typeof (client as Partial<ContextWindowAware>).contextWindow === 'function';
}
