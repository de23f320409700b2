import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FlotillaError } from '@flotilla/core';
import type { FleetRouter } from '@flotilla/router';
import { type ApiDialect, errorBody, requestError, retryAfterOf, statusOf } from './api-error';
import type { Caller } from '../tenancy/tenant-registry';
import type { FairShare } from '../tenancy/fair-share';
import type { GatewaySettings } from '../gateway.options';

/** Response headers that say how a request was served. */
export const SERVED_HEADERS = {
  requestId: 'x-request-id',
  endpoint: 'x-flotilla-endpoint',
  queueMs: 'x-flotilla-queue-ms',
  coldLoad: 'x-flotilla-cold-load',
} as const;

export type GatewayLog = (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;

/**
 * One request and its response: writes with a write timeout (a client that stops reading
 * is cut off, and its call cancelled, after `writeTimeoutMs`), the abort signal of the call
 * (aborted when the client goes away), the API's error shapes, and the headers that say
 * where the request was served.
 */
export class Exchange {
  private readonly controller = new AbortController();
  private closeHandler: (() => void) | undefined;
  private drainTimer: NodeJS.Timeout | undefined;
  /** Who is calling (set before the route runs). */
  caller: Caller = { admin: true };

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly router: FleetRouter,
    readonly options: GatewaySettings,
    readonly requestId: string,
    private readonly logger: GatewayLog,
  ) {
    res.setHeader(SERVED_HEADERS.requestId, requestId);
    res.once('close', () => {
      clearTimeout(this.drainTimer);
      if (!res.writableFinished) this.controller.abort(new Error('the client went away'));
      this.closeHandler?.();
    });
  }

  /** Fair share over tenants (set with a tenant). */
  fairShare: FairShare | undefined;

  /** 403 when the caller's tenant may not use `model`. */
  allowModel(model: string): void {
    const t = this.caller.tenant;
    if (t && !t.mayUse(model)) throw requestError(403, `tenant "${t.name}" may not use model "${model}"`, 'model');
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  onClose(handler: () => void): void {
    this.closeHandler = handler;
  }

  off(): void {
    this.closeHandler = undefined;
  }

  log(level: 'info' | 'warn', message: string): void {
    this.logger(level, message, { requestId: this.requestId, method: this.req.method, path: this.req.url });
  }

  /** Writes, and cuts the client off when it has not read what it was sent within `writeTimeoutMs`. */
  write(text: string): void {
    if (this.res.destroyed) return;
    if (this.res.write(text) || this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      this.log('warn', `the client read nothing for ${this.options.writeTimeoutMs} ms: cut off`);
      this.res.destroy();
    }, this.options.writeTimeoutMs);
    this.res.once('drain', () => {
      clearTimeout(this.drainTimer);
      this.drainTimer = undefined;
    });
  }

  /** Where the call went, as headers (only while they are not sent yet). */
  note(served: { endpoint?: string; queueMs?: number; coldLoad?: boolean }): void {
    if (this.res.headersSent) return;
    if (served.endpoint !== undefined) this.res.setHeader(SERVED_HEADERS.endpoint, served.endpoint);
    if (served.queueMs !== undefined) this.res.setHeader(SERVED_HEADERS.queueMs, String(served.queueMs));
    if (served.coldLoad !== undefined) this.res.setHeader(SERVED_HEADERS.coldLoad, String(served.coldLoad));
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (this.res.headersSent) return void this.res.end();
    const text = JSON.stringify(body);
    this.res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
    this.res.end(text);
  }

  /** The error in `dialect`'s shape, with its status (and `Retry-After` when waiting helps). */
  fail(dialect: ApiDialect, error: FlotillaError): void {
    const retryAfter = retryAfterOf(error);
    this.json(statusOf(error), errorBody(dialect, error), retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) });
  }
}
