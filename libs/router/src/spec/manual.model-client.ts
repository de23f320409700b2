// Test helper: a model client whose every call the test finishes by hand. Specs only.
import type { ChatCallOptions, ChatEvent, ChatRequest, FinalEvent, FlotillaError, ModelClient } from '@flotilla/core';
import { Observable, type Subscriber } from 'rxjs';

export interface ManualCall {
  request: ChatRequest;
  options?: ChatCallOptions;
  /** Whether the call is still open on this side (not finished, failed or cancelled). */
  open: boolean;
  /** The caller unsubscribed before the call finished. */
  cancelled: boolean;
  subscriber: Subscriber<ChatEvent>;
}

/**
 * Stands in for one server behind the router: each chat call stays open until the test
 * completes, fails or streams it, so any interleaving of arrivals, completions, failures and
 * cancellations can be played against the router's accounting.
 */
export class ManualModelClient implements ModelClient {
  readonly calls: ManualCall[] = [];

  constructor(readonly name: string) {}

  get open(): ManualCall[] {
    return this.calls.filter((c) => c.open);
  }

  chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent> {
    return new Observable<ChatEvent>((subscriber) => {
      const call: ManualCall = { request, options, open: true, cancelled: false, subscriber };
      this.calls.push(call);
      return () => {
        if (call.open) call.cancelled = true;
        call.open = false;
      };
    });
  }

  /** A delta (the first token) on an open call. */
  token(call: ManualCall, text = 'x'): void {
    call.subscriber.next({ type: 'delta', text });
  }

  complete(call: ManualCall): void {
    if (!call.open) return;
    call.open = false;
    const final: FinalEvent = {
      type: 'final',
      message: { role: 'assistant', content: 'done' },
      finishReason: 'stop',
      usage: { promptTokens: 1, completionTokens: 1 },
      timings: { totalMs: 1 },
      model: call.request.model,
    };
    call.subscriber.next(final);
    call.subscriber.complete();
  }

  fail(call: ManualCall, error: FlotillaError): void {
    if (!call.open) return;
    call.open = false;
    call.subscriber.error(error);
  }
}
