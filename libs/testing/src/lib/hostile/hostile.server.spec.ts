import http from 'node:http';
import { hostileServersForSuite } from './deadline-checks';
import { HostileServer } from './hostile.server';

/** One GET through node:http: what arrived before the connection ended or `waitMs` passed. */
function get(url: string, waitMs: number): Promise<{ status?: number; contentType?: string; body: string; error?: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const out: { status?: number; contentType?: string; body: string; error?: string; timedOut: boolean } = { body: '', timedOut: false };
    const req = http.get(url, { agent: false }, (res) => {
      out.status = res.statusCode;
      out.contentType = res.headers['content-type'];
      res.on('data', (d) => (out.body += String(d)));
      res.on('error', (e) => (out.error = (e as NodeJS.ErrnoException).code ?? e.message));
      res.on('close', () => finish());
    });
    const timer = setTimeout(() => {
      out.timedOut = true;
      req.destroy();
    }, waitMs);
    const finish = () => {
      clearTimeout(timer);
      resolve(out);
    };
    req.on('error', (e) => {
      out.error ??= (e as NodeJS.ErrnoException).code ?? e.message;
      finish();
    });
  });
}

describe('HostileServer', () => {
  const start = hostileServersForSuite();

  it('blackHole: accepts the connection and sends nothing', async () => {
    const s = await start({ mode: 'blackHole' });
    const r = await get(`${s.url}/api/tags`, 300);
    expect(r).toMatchObject({ timedOut: true, body: '' });
    expect(r.status).toBeUndefined();
    expect(s.connections).toBe(1);
  });

  it('headersThenSilence: a 200 with the format content type, then no body byte', async () => {
    const s = await start({ mode: 'headersThenSilence', format: 'sse' });
    const r = await get(`${s.url}/v1/chat/completions`, 300);
    expect(r).toMatchObject({ status: 200, contentType: 'text/event-stream', body: '', timedOut: true });
    expect(s.requests).toEqual(['GET /v1/chat/completions']);
  });

  it('trickle: one body byte per interval', async () => {
    const s = await start({ mode: 'trickle', intervalMs: 100 });
    const r = await get(`${s.url}/api/chat`, 450);
    expect(r.status).toBe(200);
    expect(r.timedOut).toBe(true);
    expect(r.body.length).toBeGreaterThanOrEqual(3);
    expect(r.body.length).toBeLessThanOrEqual(6);
    expect(r.body).toBe('{"model":"m"'.slice(0, r.body.length));
  });

  it('resetAfter: N body bytes, then a connection reset', async () => {
    const s = await start({ mode: 'resetAfter', bytes: 10, format: 'ndjson' });
    const r = await get(`${s.url}/api/chat`, 2_000);
    expect(r.timedOut).toBe(false);
    expect(r.body).toBe('{"model":"');
    expect(r.error).toBe('ECONNRESET');
  });

  it('garbage: bytes that are not HTTP', async () => {
    const s = await start({ mode: 'garbage' });
    const r = await get(`${s.url}/`, 2_000);
    expect(r.status).toBeUndefined();
    expect(r.error).toMatch(/^HPE_/);
  });

  it('answers 404 outside `paths`, and is hostile on them', async () => {
    const s = await start({ mode: 'headersThenSilence', paths: ['/api/chat'] });
    const other = await get(`${s.url}/api/show`, 2_000);
    expect(other).toMatchObject({ status: 404, body: '{"error":"not found"}', timedOut: false });
    expect(await get(`${s.url}/api/chat`, 200)).toMatchObject({ status: 200, timedOut: true });
  });

  it('passes requests outside `paths` to an upstream server, and is hostile on them', async () => {
    const upstream = http.createServer((req, res) => res.end(`upstream saw ${req.url} (${req.headers.connection})`));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    try {
      const s = await start({ mode: 'blackHole', paths: ['/api/chat'], upstream: `http://127.0.0.1:${(upstream.address() as { port: number }).port}` });
      expect(await get(`${s.url}/api/tags?x=1`, 2_000)).toMatchObject({ status: 200, body: 'upstream saw /api/tags?x=1 (close)' });
      expect(await get(`${s.url}/api/chat`, 200)).toMatchObject({ timedOut: true, body: '' });
      expect(s.requests).toEqual(['GET /api/tags', 'GET /api/chat']);
    } finally {
      await new Promise<void>((r) => upstream.close(() => r()));
    }
  });

  it('close() destroys the connections it holds', async () => {
    const s = await HostileServer.start({ mode: 'blackHole' });
    const pending = get(`${s.url}/`, 5_000);
    const until = Date.now() + 2_000;
    while (s.openConnections === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    await s.close();
    const r = await pending;
    expect(r.timedOut).toBe(false);
    expect(r.error).toBe('ECONNRESET');
  });
});
