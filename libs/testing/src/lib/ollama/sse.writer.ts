import type { ServerResponse } from 'node:http';
import type { Exchange } from './sim-context';

/** Server-sent events for the /v1 surface: `data: {json}\n\n`, ending with `data: [DONE]`. */
export class SseWriter {
  constructor(
    private readonly res: ServerResponse,
    private readonly ex: Exchange,
  ) {}

  data(value: unknown): void {
    this.raw(`data: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`);
  }

  raw(text: string): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    if (!this.res.headersSent) {
      this.res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
      this.ex.firstByte();
    }
    this.res.write(text);
  }

  done(): void {
    this.data('[DONE]');
    this.res.end();
  }

  end(): void {
    if (!this.res.headersSent) this.res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    this.res.end();
  }

  drop(): void {
    this.ex.serverDrop();
    this.res.socket?.destroy();
  }
}
