import 'reflect-metadata';
import { connect } from 'node:net';
import { FlotillaError } from '@flotilla/core';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { Gateway } from './gateway.server';
import { CHAT_MODEL, GatewayFixture, json, raw } from '../spec/gateway-fixture';

const chat = (extra: Record<string, unknown> = {}) => json({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hello' }], ...extra });

describe('the gateway over HTTP: defences, slow loads, slow clients, shutdown', () => {
  const fx = new GatewayFixture();
  afterEach(() => fx.close());

  it('refuses foreign Host names, foreign origins, non-JSON bodies, oversized bodies and unknown routes', async () => {
    await fx.sim();
    await fx.start({}, { allowedOrigins: ['http://localhost:3000'], allowedHosts: ['gateway.internal'], bodyLimitBytes: 2_000 });
    const port = fx.gateway!.port;
    expect((await raw(fx.url, 'GET', '/api/version', undefined, { host: `localhost:${port}` })).status).toBe(200);
    expect((await raw(fx.url, 'GET', '/api/version', undefined, { host: 'gateway.internal' })).status).toBe(200);
    const rebound = await raw(fx.url, 'GET', '/api/tags', undefined, { host: `evil.example:${port}` });
    expect([rebound.status, JSON.parse(rebound.body).error]).toEqual([403, expect.stringContaining('Host')]);
    const foreign = await raw(fx.url, 'POST', '/v1/chat/completions', chat(), { origin: 'http://evil.example' });
    expect([foreign.status, JSON.parse(foreign.body).error.type]).toEqual([403, 'permission_error']);
    const allowed = await raw(fx.url, 'GET', '/v1/models', undefined, { origin: 'http://localhost:3000' });
    expect([allowed.status, allowed.headers['access-control-allow-origin']]).toEqual([200, 'http://localhost:3000']);
    // A page's "simple" cross-site POST (no preflight) cannot be JSON: refused before anything runs.
    const form = await raw(fx.url, 'POST', '/api/chat', chat(), { 'content-type': 'text/plain' });
    expect([form.status, JSON.parse(form.body).error]).toEqual([415, expect.stringContaining('application/json')]);
    const big = await raw(fx.url, 'POST', '/api/chat', chat({ pad: 'x'.repeat(5_000) }));
    expect(big.status).toBe(413);
    expect((await raw(fx.url, 'GET', '/api/nothing')).status).toBe(404);
    expect((await raw(fx.url, 'GET', '/api/chat')).status).toBe(405);
    expect(fx.sims[0]!.generationRequests()).toHaveLength(0);
  });

  it('sends stream headers and keep-alive bytes within 1 s while a model loads, then the reply', async () => {
    await fx.sim({ models: [{ name: CHAT_MODEL, loadMs: 200_000 }], script: () => 'loaded and answering' }); // 2 s of real load
    await fx.start();
    const started = performance.now();
    const openai = await raw(fx.url, 'POST', '/v1/chat/completions', chat({ stream: true }));
    expect(openai.status).toBe(200);
    expect(openai.headersAt - started).toBeLessThan(1_000);
    expect(openai.chunks[0]!.at - started).toBeLessThan(1_000);
    expect(openai.chunks[0]!.text).toBe(': keep-alive\n\n');
    // A free slot: the call was placed (and the load announced) before the headers went out.
    expect([openai.headers['x-flotilla-endpoint'], openai.headers['x-flotilla-cold-load']]).toEqual(['sim0', 'true']);
    expect(openai.body).toContain('data: [DONE]');
    expect(openai.chunks.at(-1)!.at - started).toBeGreaterThan(1_500);
  });

  it('holds a stream:false reply behind early headers and whitespace, and a late failure reaches both clients as an error', async () => {
    await fx.sim({
      models: [{ name: CHAT_MODEL, loadMs: 60_000 }], // 600 ms of real load
      script: () => 'worth the wait',
      faults: [{ contains: 'fail late', fault: { type: 'drop', afterChunks: 1 } }],
    });
    await fx.start({}, { nonStreamHeadersMs: 150, heartbeatMs: 100 });
    const openai = new OpenAI({ baseURL: `${fx.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const ollama = new Ollama({ host: fx.url });
    const slow = await raw(fx.url, 'POST', '/api/chat', chat({ stream: false }));
    expect(slow.status).toBe(200);
    expect(slow.chunks[0]!.text.trim()).toBe('');
    expect(JSON.parse(slow.body)).toMatchObject({ message: { content: 'worth the wait' }, done: true });
    expect((await openai.chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'x' }] })).choices[0]!.message.content).toBe('worth the wait');
    expect((await ollama.chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'x' }] })).message.content).toBe('worth the wait');

    // Evict the model, so the failing call waits behind early headers first.
    const unload = () => fx.fleet!.router.endpoint('sim0')!.client.chat({ model: CHAT_MODEL, messages: [], options: { keepAlive: 0 } }).toPromise().catch(() => undefined);
    await unload();
    const cut = await raw(fx.url, 'POST', '/api/chat', json({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'fail late please' }], stream: false }));
    expect(cut.status).toBe(200);
    expect(cut.aborted).toBe(true);
    expect(cut.body).toContain('"error"');
    await unload();
    await expect(openai.chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'fail late please' }] })).rejects.toThrow();
    await unload();
    await expect(ollama.chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'fail late please' }] })).rejects.toThrow();
  });

  it('cuts off a client that stops reading after the write timeout, which cancels its call and frees its slot', async () => {
    await fx.sim({ script: () => ({ text: 'word '.repeat(4_000_000), chunks: 2_000, intervalMs: 2 }) }); // 20 MB over 4 s: more than loopback buffers hold
    await fx.start({}, { writeTimeoutMs: 300 });
    const socket = connect(fx.gateway!.port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.pause(); // reads nothing
    const body = chat({ stream: true });
    socket.write(`POST /api/chat HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    socket.on('error', () => undefined);
    const sim = fx.sims[0]!;
    await sim.waitFor((x) => x.activeGenerations === 1, 5_000);
    const began = Date.now();
    await sim.waitFor((x) => x.activeGenerations === 0, 10_000);
    // Cut before the reply's 4 s were up: the backend saw its client (the gateway) go away.
    expect(Date.now() - began).toBeLessThan(3_500);
    expect(sim.generationRequests()[0]!.clientDisconnected).toBe(true);
    expect(fx.fleet!.router.report().endpoints[0]!.inFlight).toBe(0);
    expect(fx.gateway!.active).toBe(0);
    socket.destroy();
  }, 15_000);

  it('takes a request out of the router\'s queue when its client goes away while it waits', async () => {
    await fx.sim({ script: (c) => (c.messages[0]?.content === 'long' ? { text: 'a b c d e f', intervalMs: 100 } : undefined) });
    await fx.start({ endpoints: [{ name: 'one', kind: 'ollama', url: fx.sims[0]!.url, slots: 1 }] });
    const long = raw(fx.url, 'POST', '/api/chat', json({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'long' }] }));
    await fx.sims[0]!.waitFor((s) => s.activeGenerations === 1, 2_000);
    await expect(raw(fx.url, 'POST', '/api/chat', chat(), {}, 200)).rejects.toThrow(); // gives up while queued
    for (let i = 0; i < 100 && fx.fleet!.router.queued > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(fx.fleet!.router.queued).toBe(0);
    expect(fx.sims[0]!.activeGenerations).toBe(1); // still the long one
    expect((await long).status).toBe(200);
    expect(fx.sims[0]!.generationRequests()).toHaveLength(1); // the abandoned call never reached the server
    expect((await raw(fx.url, 'POST', '/api/chat', chat())).status).toBe(200);
  });

  it('says clearly that a port is in use', async () => {
    await fx.sim();
    const g = await fx.start();
    const err = await Gateway.start(fx.fleet!.router, { port: g.port }).catch((e: unknown) => e);
    expect(FlotillaError.is(err, 'config')).toBe(true);
    expect((err as Error).message).toBe(`port ${g.port} on 127.0.0.1 is in use (another gateway or server is listening there); choose another with --port`);
  });

  it('on close stops accepting and lets a stream in flight finish within the drain bound', async () => {
    await fx.sim({ script: () => ({ text: 'one two three four five six seven eight', chunks: 8, intervalMs: 60 }) });
    const g = await fx.start({}, { drainMs: 5_000 });
    const url = g.url;
    const inFlight = raw(url, 'POST', '/api/chat', chat({ stream: true }));
    await fx.sims[0]!.waitFor((s) => s.activeGenerations === 1, 2_000);
    const closing = g.close();
    await expect(raw(url, 'GET', '/api/version')).rejects.toThrow(/ECONNREFUSED/);
    const done = await inFlight;
    await closing;
    const lines = done.body.trim().split('\n').map((l) => JSON.parse(l) as { done?: boolean; message?: { content: string } });
    expect(lines.at(-1)!.done).toBe(true);
    expect(lines.map((l) => l.message?.content ?? '').join('')).toBe('one two three four five six seven eight');
  });
});
