import type { ServerResponse } from 'node:http';
import type { RecordedRequest } from './request-record';

/** One request/response pair: scaled sleeps, JSON and SSE writes, and disconnect tracking. */
export class HttpExchange {
  /** True once the connection closed, by either side. */
  closed = false;
  private dropped = false;
  private readonly closeWaiters: (() => void)[] = [];

  constructor(
    readonly res: ServerResponse,
    readonly record: RecordedRequest,
    private readonly timeScale: number,
    onChange: () => void,
  ) {
    res.on('close', () => {
      this.closed = true;
      if (!res.writableFinished && !this.dropped) record.clientDisconnected = true;
      record.completed = res.writableFinished;
      this.closeWaiters.splice(0).forEach((w) => w());
      onChange();
    });
  }

  /** Sleeps `modelMs` times the time scale (or real ms when `scaled` is false); wakes early when the connection closes. */
  sleep(modelMs: number, scaled = true): Promise<void> {
    if (this.closed) return Promise.resolve();
    const ms = scaled ? modelMs * this.timeScale : modelMs;
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        const i = this.closeWaiters.indexOf(done);
        if (i >= 0) this.closeWaiters.splice(i, 1);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.closeWaiters.push(done);
    });
  }

  /** Resolves when the connection closes (a hung request waits for this). */
  untilClosed(): Promise<void> {
    return this.closed ? Promise.resolve() : new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  json(status: number, body: unknown): void {
    if (this.closed) return;
    this.record.status = status;
    const text = JSON.stringify(body);
    this.res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    this.res.end(text);
  }

  raw(status: number, contentType: string, text: string): void {
    if (this.closed) return;
    this.record.status = status;
    this.res.writeHead(status, { 'Content-Type': contentType });
    this.res.end(text);
  }

  startSse(): void {
    if (this.closed) return;
    this.record.status = 200;
    this.res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
    this.res.flushHeaders();
  }

  /** Writes one `data:` event; strings go out as they are (`[DONE]`, malformed lines). */
  sse(data: unknown): void {
    if (this.closed) return;
    this.res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
  }

  end(): void {
    if (!this.closed) this.res.end();
  }

  /** Destroys the socket mid-response, as a crashed server would. */
  drop(): void {
    this.dropped = true;
    this.res.socket?.destroy();
  }
}
