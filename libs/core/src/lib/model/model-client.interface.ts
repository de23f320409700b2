import type { Observable } from 'rxjs';
import type { ChatEvent } from './chat-event';
import type { ChatCallOptions, ChatRequest } from './chat-request';

/**
 * A chat model behind any transport. `chat` is cold: nothing is sent until subscription.
 * The stream emits deltas and tool calls, then exactly one `final` event, then completes;
 * or errors with a `FlotillaError`. Unsubscribing, or aborting `options.signal`, cancels
 * the request where it runs (the HTTP connection, the engine sequence).
 */
export interface ModelClient {
  /** A stable name for traces and fixture files, e.g. "ollama@127.0.0.1:11434". */
  readonly name: string;
  chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent>;
  /**
   * Lets go of what the client holds (sockets, probes, processes, the clients it wraps).
   * Optional: a client that holds nothing has none. `createFlotilla`'s `close()` calls it.
   */
  close?(): Promise<void> | void;
}
