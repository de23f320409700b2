import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of an HTTP server that keeps the client connections open
 * right now: to see whether a client closes its kept-alive connections. Several proxies may
 * share one `open` set.
 */
export class ConnectionCountingProxy {
  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>`, to put in place of the target's origin. */
    readonly url: string,
    /** The client connections open now. */
    readonly open: Set<Socket>,
  ) {}

  /** Starts a proxy to `target`'s host and port (a URL; its path is not used). */
  static async start(target: string, open: Set<Socket> = new Set()): Promise<ConnectionCountingProxy> {
    const upstream = new URL(target);
    const server = createServer((client) => {
      open.add(client);
      const up = connect(Number(upstream.port), upstream.hostname);
      client.pipe(up).pipe(client);
      client.on('error', () => up.destroy());
      up.on('error', () => client.destroy());
      client.on('close', () => {
        open.delete(client);
        up.destroy();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return new ConnectionCountingProxy(server, `http://127.0.0.1:${(server.address() as { port: number }).port}`, open);
  }

  /** Waits until no client connection is open or `withinMs` passed; how many are still open. */
  async drained(withinMs = 1_000): Promise<number> {
    const until = Date.now() + withinMs;
    while (this.open.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    return this.open.size;
  }

  /** Stops accepting connections; resolves once every connection through it has ended. */
  close(): Promise<void> {
    return new Promise<void>((r) => this.server.close(() => r()));
  }
}
