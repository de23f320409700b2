import { type AddressInfo, type Server, type Socket, connect, createServer } from 'node:net';
import {
  DEFAULT_RESET_AFTER_BYTES,
  DEFAULT_TRICKLE_INTERVAL_MS,
  type HostileFormat,
  type HostileServerOptions,
} from './hostile-server.options';

const CONTENT_TYPE: Record<HostileFormat, string> = {
  ndjson: 'application/x-ndjson',
  sse: 'text/event-stream',
  json: 'application/json; charset=utf-8',
};

/** One repeating unit of a plausible body, so a client starts parsing before the fault bites. */
const BODY_UNIT: Record<HostileFormat, string> = {
  ndjson: '{"model":"m","created_at":"2025-01-01T00:00:00Z","message":{"role":"assistant","content":"x"},"done":false}\n',
  sse: 'data: {"id":"c","object":"chat.completion.chunk","created":0,"model":"m","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}\n\n',
  json: '{"models":[{"name":"m","model":"m","size":1,"digest":"d","details":{}},',
};

/** One chunk of a chunked body (ASCII payloads only: length in characters is length in bytes). */
const chunk = (data: string) => `${data.length.toString(16)}\r\n${data}\r\n`;

const GARBAGE = Buffer.from('\u0000\u00ff\u0013not http at all\u0007\u0000\r\n\r\n\u00fe', 'latin1');

/**
 * A real TCP server on 127.0.0.1 that misbehaves the way broken or overloaded model servers
 * and proxies do (see `HostileMode`): for tests that every network call has a wall-clock
 * deadline and ends with a typed error. Written on `node:net` so nothing in Node's HTTP
 * server smooths the misbehaviour over. Bodies are chunked, as Ollama's and llama.cpp's
 * streams are: a client can tell a reset from the end of the body.
 */
export class HostileServer {
  readonly url: string;
  /** Connections accepted so far. */
  connections = 0;
  /** `METHOD /path` of every request head read (never for `blackHole`). */
  readonly requests: string[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    private readonly options: HostileServerOptions,
  ) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(options: HostileServerOptions): Promise<HostileServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
    });
    const self = new HostileServer(server, options);
    server.on('connection', (socket) => self.accept(socket));
    return self;
  }

  /** Connections open now (the server closes none by itself in `blackHole`, `headersThenSilence`, `trickle`). */
  get openConnections(): number {
    return this.sockets.size;
  }

  /** Stops listening and destroys every connection. */
  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    if (this.options.mode === 'blackHole' && !this.options.paths) {
      socket.resume(); // read and drop whatever comes, write nothing
      return;
    }
    const received: Buffer[] = [];
    const onData = (chunk: Buffer) => {
      received.push(chunk);
      const head = Buffer.concat(received).toString('latin1');
      if (head.indexOf('\r\n\r\n') < 0) return;
      socket.off('data', onData);
      const [method = '', target = ''] = head.slice(0, head.indexOf('\r\n')).split(' ');
      const path = target.split('?')[0]!;
      this.requests.push(`${method} ${path}`);
      if (this.options.paths && !this.options.paths.includes(path)) return this.passOn(socket, Buffer.concat(received));
      socket.resume();
      this.misbehave(socket);
    };
    socket.on('data', onData);
  }

  /** Hands a request outside `paths` to `upstream` (all bytes read so far, then both ways), else 404. */
  private passOn(socket: Socket, received: Buffer): void {
    if (!this.options.upstream) {
      socket.resume();
      return this.notFound(socket);
    }
    const { hostname, port } = new URL(this.options.upstream);
    // One request per connection: a kept-alive connection would carry the client's next
    // request (perhaps to a hostile path) straight to the upstream.
    const text = received.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    const head = text.slice(0, end).split('\r\n').filter((line) => !/^connection:/i.test(line));
    const request = Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\nConnection: close\r\n\r\n`, 'latin1'), received.subarray(end + 4)]);
    const up = connect(Number(port), hostname, () => {
      up.write(request);
      socket.pipe(up).pipe(socket);
    });
    this.sockets.add(up);
    up.on('close', () => {
      this.sockets.delete(up);
      socket.destroy();
    });
    up.on('error', () => socket.destroy());
    socket.on('close', () => up.destroy());
  }

  private notFound(socket: Socket): void {
    const body = '{"error":"not found"}';
    socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
  }

  private misbehave(socket: Socket): void {
    const { mode } = this.options;
    const format = this.options.format ?? 'ndjson';
    if (mode === 'blackHole') return; // read, never answered
    if (mode === 'garbage') {
      socket.end(GARBAGE);
      return;
    }
    socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${CONTENT_TYPE[format]}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`);
    const unit = BODY_UNIT[format];
    if (mode === 'resetAfter') {
      const n = this.options.bytes ?? DEFAULT_RESET_AFTER_BYTES;
      socket.write(chunk(unit.repeat(Math.ceil(n / unit.length) + 1).slice(0, n)), () => socket.resetAndDestroy());
      return;
    }
    if (mode === 'trickle') {
      let i = 0;
      const send = () => {
        if (socket.destroyed) return clear();
        socket.write(chunk(unit[i++ % unit.length]!));
      };
      const timer = setInterval(send, this.options.intervalMs ?? DEFAULT_TRICKLE_INTERVAL_MS);
      const clear = () => {
        clearInterval(timer);
        this.timers.delete(timer);
      };
      this.timers.add(timer);
      socket.on('close', clear);
      send();
    }
    // headersThenSilence: nothing more.
  }
}
