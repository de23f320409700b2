import { type ChatEvent, type ChatRequest, FlotillaError, type RetryHint } from '@flotilla/core';
import type { Subscription } from 'rxjs';
import { type ApiDialect, errorBody } from '../http/api-error';
import type { Exchange } from '../http/exchange';
import type { ChatWire, WireCall } from './chat-wire';

export interface RelayChatOptions {
  request: ChatRequest;
  stream: boolean;
  wire: ChatWire;
  dialect: ApiDialect;
  includeUsage?: boolean;
}

/** At most this many attempts of one request fail over before its first token. */
const MAX_ATTEMPTS = 3;

/**
 * Runs one chat through the router and writes it in `wire`'s shape.
 *
 * - Streaming: headers go out with the first piece, or after `heartbeatMs` of waiting (a
 *   queue, a cold load), then a heartbeat whenever nothing was sent for `heartbeatMs`, so a
 *   client's header timeout never aborts a load. A failure before the first token fails over
 *   (the router marks it `details.failover`, the retry keeps the queue place and avoids the
 *   endpoint); after headers, an error is sent in-band in the API's shape and the stream ends
 *   without its end marker.
 * - `stream: false`: the reply is one JSON object. When it takes longer than
 *   `nonStreamHeadersMs`, status 200 goes out with whitespace heartbeats (valid before JSON);
 *   a failure after that writes the API's error body and cuts the response without its last
 *   chunk, so every HTTP client reports a failed transfer, never a successful completion.
 */
export function relayChat(x: Exchange, o: RelayChatOptions): Promise<void> {
  const { res, options } = x;
  x.allowModel(o.request.model);
  if (x.router.queued >= options.maxQueued) {
    throw new FlotillaError('overloaded', `the fleet's queue is full (${x.router.queued} calls wait; maxQueued ${options.maxQueued})`, { retryable: true, details: { queued: x.router.queued } });
  }
  const call: WireCall = { id: x.requestId, created: Math.floor(Date.now() / 1000), model: o.request.model, includeUsage: o.includeUsage ?? false, toolCalls: 0, started: false };
  const began = performance.now();
  let wroteAt = began;
  let tokens = false;
  let attempts = 0;
  let sub: Subscription | undefined;
  let finished = false;
  let retry: RetryHint | undefined;
  let ticket: number | undefined;
  let endpoint: string | undefined;

  let queued = false;
  const tenant = x.caller.tenant;
  const share = tenant && x.fairShare ? x.fairShare.priority(tenant) : undefined;
  const waiting = (now: boolean) => {
    if (!tenant || queued === now) return;
    queued = now;
    tenant.queued += now ? 1 : -1;
  };

  return new Promise<void>((resolve) => {
    const finish = () => {
      if (finished) return;
      finished = true;
      waiting(false);
      clearInterval(ticker);
      sub?.unsubscribe();
      x.off();
      resolve();
    };
    x.onClose(finish);
    const write = (text: string) => {
      wroteAt = performance.now();
      x.write(text);
    };
    const openStream = () => {
      if (res.headersSent) return;
      res.writeHead(200, { 'content-type': o.stream ? o.wire.streamType : 'application/json', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' });
      res.flushHeaders();
    };
    const ticker = setInterval(() => {
      const now = performance.now();
      if (now - wroteAt < options.heartbeatMs) return;
      if (o.stream) {
        openStream();
        write(o.wire.heartbeat(call));
      } else if (now - began >= options.nonStreamHeadersMs) {
        openStream();
        write(' ');
      }
    }, Math.max(10, Math.floor(options.heartbeatMs / 2)));

    const onEvent = (e: ChatEvent) => {
      switch (e.type) {
        case 'queued':
          ticket = e.ticket;
          waiting(true);
          return;
        case 'dispatched':
          waiting(false);
          if (share) x.fairShare!.dispatched(share.tag);
          ticket = e.ticket ?? ticket;
          endpoint = e.endpoint;
          x.note({ endpoint: e.endpoint, queueMs: Math.round(performance.now() - began) });
          return;
        case 'loading':
          x.note({ coldLoad: true });
          return;
        case 'delta':
        case 'toolCall':
          tokens = true;
          if (!o.stream) return;
          openStream();
          write(o.wire.piece(e, call));
          return;
        case 'final':
          if (o.stream) {
            openStream();
            write(o.wire.end(e, call));
            res.end();
          } else if (res.headersSent) {
            res.end(JSON.stringify(o.wire.whole(e, call)));
          } else {
            x.json(200, o.wire.whole(e, call));
          }
          finish();
          return;
      }
    };
    const onError = (err: unknown) => {
      const error = FlotillaError.from(err);
      if (!tokens && error.details['failover'] === true && attempts < MAX_ATTEMPTS && !finished) {
        const failed = typeof error.details['endpoint'] === 'string' ? (error.details['endpoint'] as string) : endpoint;
        retry = { kind: error.kind, ...(ticket === undefined ? {} : { ticket }), ...(failed === undefined ? {} : { endpoint: failed }) };
        return attempt();
      }
      if (!res.headersSent) x.fail(o.dialect, error);
      else if (o.stream) {
        write(o.wire.streamError(error, call));
        res.end();
      } else {
        // Status 200 is out: the error body goes, and the response is cut before its last chunk.
        res.write(JSON.stringify(errorBody(o.dialect, error)), () => res.socket?.destroy());
      }
      x.log('warn', `chat failed: ${error.kind}: ${error.message}`);
      finish();
    };
    const attempt = () => {
      attempts++;
      sub?.unsubscribe();
      sub = x.router
        .chat(o.request, { signal: x.signal, ...(retry ? { retry } : {}), ...(share ? { priority: share.priority } : {}) })
        .subscribe({ next: onEvent, error: onError, complete: () => finish() });
    };
    attempt();
  });
}
