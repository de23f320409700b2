/**
 * What the Ollama HTTP layer throws, by class, so the error mapper never reads messages.
 * Internal to the adapter: callers only ever see FlotillaErrors.
 */

/** The server answered with an error status; `message` is its `{"error"}` text or body. */
export class OllamaStatusError extends Error {
  override readonly name = 'OllamaStatusError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** An `{"error": "..."}` object where a reply chunk belonged: the server failed while generating. */
export class OllamaStreamError extends Error {
  override readonly name = 'OllamaStreamError';
}

/** A line (or body) that is not JSON: never skipped, because a reply without it would be partial. */
export class MalformedResponseError extends Error {
  override readonly name = 'MalformedResponseError';
  constructor(readonly excerpt: string) {
    super(`not JSON: ${excerpt}`);
  }
}

/** The stream ended without its `done` chunk. */
export class TruncatedStreamError extends Error {
  override readonly name = 'TruncatedStreamError';
  constructor() {
    super('the stream ended without a final (done) chunk');
  }
}
