import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeHttpFetch, fetchWithSignal } from './node-http.fetch';
import { RequestTimeoutError, withRequestDeadline } from './request-deadline';

/** A real server on 127.0.0.1: streams chunks slowly, records when clients go away. */
function startServer() {
  const seen: { path: string; body: string; closedEarly: boolean }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const record = { path: req.url ?? '', body, closedEarly: false };
      seen.push(record);
      res.on('close', () => (record.closedEarly = !res.writableEnded));
      if (req.url === '/trickle') {
        // One byte every 50 ms, forever: an idle timeout would never fire.
        res.writeHead(200, { 'content-type': 'application/json' });
        const tick = setInterval(() => (res.destroyed ? clearInterval(tick) : res.write(' ')), 50);
        return;
      }
      if (req.url === '/slow-headers') {
        setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('late'), 300);
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      let n = 0;
      const tick = setInterval(() => {
        if (res.destroyed) return clearInterval(tick);
        res.write(`{"n":${n}}\n`);
        if (++n === 5) {
          clearInterval(tick);
          res.end();
        }
      }, 20);
    });
  });
  return new Promise<{ url: string; seen: typeof seen; close: () => Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, seen, close: () => new Promise((r) => server.close(() => r())) });
    }),
  );
}

describe('createNodeHttpFetch', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  const fetch = createNodeHttpFetch();
  beforeAll(async () => (srv = await startServer()));
  afterAll(() => srv.close());

  it('posts a body and streams the response body chunk by chunk', async () => {
    const res = await fetch(`${srv.url}/stream`, { method: 'POST', body: '{"hello":1}', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    const chunks: string[] = [];
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) chunks.push(decoder.decode(chunk));
    expect(chunks.join('').trim().split('\n')).toHaveLength(5);
    expect(chunks.length).toBeGreaterThan(1);
    expect(srv.seen.at(-1)).toMatchObject({ path: '/stream', body: '{"hello":1}' });
  });

  it('waits for late headers (no headers timeout of its own)', async () => {
    const res = await fetch(`${srv.url}/slow-headers`);
    expect(await res.text()).toBe('late');
  });

  it('aborting mid-body destroys the socket, and the server sees the client go away', async () => {
    const controller = new AbortController();
    const res = await fetchWithSignal(fetch, controller.signal)(`${srv.url}/stream`);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 100));
    expect(srv.seen.at(-1)!.closedEarly).toBe(true);
  });

  it('rejects at once with an AbortError when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(fetch(`${srv.url}/stream`, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('withRequestDeadline', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  const fetch = createNodeHttpFetch();
  beforeAll(async () => (srv = await startServer()));
  afterAll(async () => {
    fetch.close();
    await srv.close();
  });

  it('is a wall-clock deadline: a server trickling its body cannot stretch it, and the socket is destroyed', async () => {
    const started = performance.now();
    const error = await withRequestDeadline('/trickle', 300, undefined, async (signal) => (await fetch(`${srv.url}/trickle`, { signal })).text()).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(RequestTimeoutError);
    expect(error).toMatchObject({ path: '/trickle', timeoutMs: 300 });
    expect(RequestTimeoutError.find(new Error('wrapped', { cause: error }))).toBe(error);
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(600);
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.seen.at(-1)).toMatchObject({ path: '/trickle', closedEarly: true });
  });

  it('passes a result through, and the caller\'s abort as the request failed (not as a timeout)', async () => {
    expect(await withRequestDeadline('/stream', 2_000, undefined, async (signal) => (await fetch(`${srv.url}/stream`, { signal })).text())).toContain('{"n":4}');
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await withRequestDeadline('/trickle', 2_000, controller.signal, async (signal) => (await fetch(`${srv.url}/trickle`, { signal })).text()).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(RequestTimeoutError.find(error)).toBeUndefined();
  });
});

describe('createNodeHttpFetch close()', () => {
  it('destroys idle keep-alive sockets at once', async () => {
    const open = new Set<import('node:net').Socket>();
    const server = http.createServer((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 60_000;
    server.on('connection', (s) => {
      open.add(s);
      s.on('close', () => open.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const fetch = createNodeHttpFetch();
      await Promise.all([1, 2, 3].map(async () => (await fetch(url)).text()));
      expect(open.size).toBeGreaterThan(0);
      fetch.close();
      const until = Date.now() + 1_000;
      while (open.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      expect(open.size).toBe(0);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('createNodeHttpFetch with a server that closes kept-alive connections', () => {
  it('resends a request whose pooled socket the server had closed, once, on a fresh socket', async () => {
    // Like llama.cpp's server: it advertises keep-alive but does not serve a second
    // request on a connection; here it destroys such a socket, deterministically.
    const served = new WeakMap<object, number>();
    let connections = 0;
    let answered = 0;
    const server = http.createServer((req, res) => {
      const n = (served.get(req.socket) ?? 0) + 1;
      served.set(req.socket, n);
      if (n > 1) return void req.socket.destroy();
      answered++;
      res.writeHead(200, { 'content-type': 'text/plain', connection: 'keep-alive', 'keep-alive': 'timeout=5, max=100' }).end(`answer ${answered}`);
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const fetch = createNodeHttpFetch({ resendOnStaleSocket: true });
      expect(await (await fetch(url)).text()).toBe('answer 1');
      expect(await (await fetch(url)).text()).toBe('answer 2');
      expect(await (await fetch(url)).text()).toBe('answer 3');
      expect(answered).toBe(3);
      expect(connections).toBe(3);
      // Off by default: the reset surfaces (it may be a server that dropped the request).
      const strict = createNodeHttpFetch();
      expect(await (await strict(url)).text()).toBe('answer 4');
      await expect(strict(url)).rejects.toMatchObject({ code: 'ECONNRESET' });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
