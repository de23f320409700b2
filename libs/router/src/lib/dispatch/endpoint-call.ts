import { type ChatCallOptions, type ChatEvent, type ChatRequest, FlotillaError } from '@flotilla/core';
import type { Observer, Subscription } from 'rxjs';
import type { EndpointState } from '../endpoints/endpoint-state';

/** A reported load_duration above this (ms) means the call found the model cold. */
export const COLD_LOAD_MS = 50;
/** How long an endpoint that just failed a call is avoided when another can serve. */
export const SUSPECT_MS = 2_000;
const FAILOVER_KINDS = new Set(['unavailable', 'overloaded', 'circuitOpen', 'modelNotFound']);

export interface EndpointCallOptions {
  endpoint: EndpointState;
  request: ChatRequest;
  options: ChatCallOptions;
  queueMs: number;
  /** > 0 when the model is (being) loaded there: a `loading` event goes out first. */
  expectedLoadMs: number;
  cold: boolean;
  /** Called once when the call ends, however it ends (frees the slot). */
  done(): void;
}

/**
 * Runs one call on the chosen endpoint: emits `loading` for a cold model, forwards events
 * with the endpoint's name and the router's queue time, learns speed and load cost from the
 * final event, and turns a failure before the first token into a failover the engine retries
 * at once (`retryable`, `details.failover`), after telling the endpoint's circuit breaker.
 */
export function runOnEndpoint(call: EndpointCallOptions, out: Observer<ChatEvent>): Subscription {
  const { endpoint, request } = call;
  const model = request.model;
  const started = performance.now();
  let firstMs: number | undefined;
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    call.done();
  };
  if (call.cold || call.expectedLoadMs > 0) out.next({ type: 'loading', expectedLoadMs: Math.round(call.expectedLoadMs), endpoint: endpoint.name });
  const sub = endpoint.client.chat(request, call.options).subscribe({
    next: (event) => {
      if (event.type === 'delta' || event.type === 'toolCall' || event.type === 'toolCallDelta') firstMs ??= performance.now() - started;
      if (event.type !== 'final') return out.next(event);
      learn(endpoint, model, event.timings.loadMs ?? 0, performance.now() - started, firstMs, event.usage.completionTokens);
      out.next({
        ...event,
        endpoint: endpoint.name,
        timings: { ...event.timings, queueMs: (event.timings.queueMs ?? 0) + call.queueMs },
      });
    },
    error: (e: unknown) => {
      const error = classify(FlotillaError.from(e), endpoint, model, firstMs !== undefined);
      finish(); // after the breaker heard of it, so the next dispatch avoids this endpoint
      out.error(error);
    },
    complete: () => {
      endpoint.breaker.success();
      finish();
      out.complete();
    },
  });
  sub.add(() => {
    if (!finished) endpoint.breaker.release();
    finish();
  });
  return sub;
}

function learn(e: EndpointState, model: string, reportedLoadMs: number, totalMs: number, firstMs: number | undefined, tokens: number): void {
  const s = e.statsFor(model);
  const ftt = firstMs ?? totalMs;
  e.markUsed(model, 0);
  if (reportedLoadMs > COLD_LOAD_MS) {
    // Measured, not reported: simulators report simulated time, and the wait is what matters.
    s.loadMs.add(Math.max(0, ftt - (s.firstTokenMs.value ?? 0)));
    return;
  }
  s.serviceMs.add(totalMs);
  s.firstTokenMs.add(ftt);
  if (tokens > 0 && totalMs > ftt) s.tokensPerSec.add((tokens * 1000) / (totalMs - ftt));
}

function classify(error: FlotillaError, e: EndpointState, model: string, streaming: boolean): FlotillaError {
  if (error.kind === 'aborted' || error.kind === 'badRequest' || error.kind === 'contextOverflow') {
    e.breaker.release();
    return error;
  }
  blameEndpoint(e, error, model, streaming);
  if (streaming || !FAILOVER_KINDS.has(error.kind)) return error.with({ details: { endpoint: e.name } });
  return error.with({ retryable: true, details: { endpoint: e.name, failover: true } });
}

/**
 * What an endpoint's failure means for the router: a model it turned out not to have is
 * forgotten there; otherwise its breaker hears of it (a connection refused or broken before
 * any reply opens the circuit at once) and the endpoint is avoided for a while when another
 * can serve. For chat failures and failed context-window lookups alike.
 */
export function blameEndpoint(e: EndpointState, error: FlotillaError, model: string, streaming = false): void {
  e.lastError = error;
  if (error.kind === 'modelNotFound') e.forget(model);
  else if (typeof error.details['code'] === 'string' && !streaming) e.breaker.trip();
  else e.breaker.failure();
  e.suspectUntil = performance.now() + SUSPECT_MS;
}
