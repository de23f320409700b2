import 'reflect-metadata';
import { FlotillaError } from '@flotilla/core';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { Gateway } from './gateway.server';
import { CHAT_MODEL, EMBED_MODEL, GatewayFixture, json, raw } from '../spec/gateway-fixture';

const env = { KEY_A: 'sk-alpha-secret', KEY_B: 'sk-beta-secret', KEY_ADMIN: 'sk-admin-secret' };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const chat = (content = 'hello') => json({ model: CHAT_MODEL, messages: [{ role: 'user', content }] });

describe('the gateway with tenants', () => {
  const fx = new GatewayFixture();
  afterEach(() => fx.close());

  it('names the caller by its key: 401 without one or with an unknown one, 403 for a model it may not use, and keys never in logs or metrics', async () => {
    await fx.sim();
    const lines: string[] = [];
    await fx.start({}, {
      env,
      tenancy: { tenants: [{ name: 'alpha', keyEnv: 'KEY_A', models: [CHAT_MODEL] }], adminKeyEnv: 'KEY_ADMIN' },
      log: (level, message, fields) => lines.push(`${level} ${message} ${JSON.stringify(fields)}`),
    });
    const openai = (key: string) => new OpenAI({ baseURL: `${fx.url}/v1`, apiKey: key, maxRetries: 0 });
    expect((await openai(env.KEY_A).chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }] })).choices[0]!.message.content).toContain('hi');
    await expect(openai('sk-wrong').chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 401 });
    expect((await raw(fx.url, 'POST', '/api/chat', chat())).status).toBe(401);
    await expect(openai(env.KEY_A).embeddings.create({ model: EMBED_MODEL, input: 'x' })).rejects.toMatchObject({ status: 403, param: 'model' });
    const ollama = new Ollama({ host: fx.url, headers: bearer(env.KEY_A) });
    expect((await ollama.chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'yo' }] })).done).toBe(true);

    // Health stays open; the queue and metrics need the admin role.
    expect((await raw(fx.url, 'GET', '/healthz')).status).toBe(200);
    expect((await raw(fx.url, 'GET', '/readyz')).status).toBe(200);
    expect((await raw(fx.url, 'GET', '/queue', undefined, bearer(env.KEY_A))).status).toBe(403);
    expect((await raw(fx.url, 'GET', '/metrics')).status).toBe(401);
    const queue = await raw(fx.url, 'GET', '/queue', undefined, bearer(env.KEY_ADMIN));
    expect(JSON.parse(queue.body)).toMatchObject({ queued: 0, endpoints: [{ name: 'sim0', slotsInUse: 0, loaded: [CHAT_MODEL] }], tenants: [{ name: 'alpha', inFlight: 0, queued: 0 }] });
    const metrics = await raw(fx.url, 'GET', '/metrics', undefined, bearer(env.KEY_ADMIN));
    expect(metrics.body).toContain('flotilla_gateway_requests_total{route="/v1/chat/completions",status="200"} 1');
    expect(metrics.body).toContain('flotilla_gateway_tenant_in_flight{tenant="alpha"} 0');
    for (const text of [metrics.body, queue.body, ...lines]) for (const key of Object.values(env)) expect(text).not.toContain(key);
  });

  it('answers a tenant over its concurrency or request rate 429 with Retry-After, and a full fleet queue 503', async () => {
    await fx.sim({ script: () => ({ text: 'slow reply here', intervalMs: 100 }) });
    await fx.start({ endpoints: [{ name: 'one', kind: 'ollama', url: fx.sims[0]!.url, slots: 1 }] }, {
      env,
      maxQueued: 1,
      tenancy: { tenants: [{ name: 'alpha', keyEnv: 'KEY_A', maxConcurrent: 1 }, { name: 'beta', keyEnv: 'KEY_B', requestsPerMinute: 3 }] },
    });
    const first = raw(fx.url, 'POST', '/api/chat', chat(), bearer(env.KEY_A));
    await fx.sims[0]!.waitFor((s) => s.activeGenerations === 1, 2_000);
    const over = await raw(fx.url, 'POST', '/api/chat', chat(), bearer(env.KEY_A));
    expect([over.status, over.headers['retry-after'], JSON.parse(over.body).error]).toEqual([429, '1', expect.stringContaining('maxConcurrent')]);
    const queuedBeta = raw(fx.url, 'POST', '/api/chat', chat(), bearer(env.KEY_B)); // waits: the one slot is busy
    await new Promise((r) => setTimeout(r, 50));
    const full = await raw(fx.url, 'POST', '/api/chat', chat(), bearer(env.KEY_B));
    expect([full.status, full.headers['retry-after'], JSON.parse(full.body).error]).toEqual([503, '1', expect.stringContaining('queue is full')]);
    expect((await first).status).toBe(200);
    expect((await queuedBeta).status).toBe(200);
    const rated = await raw(fx.url, 'POST', '/api/chat', chat(), bearer(env.KEY_B)); // beta's 3rd this minute is fine, the 4th is not
    expect(rated.status).toBe(200);
    const fourth = await raw(fx.url, 'POST', '/api/chat', chat(), bearer(env.KEY_B));
    expect(fourth.status).toBe(429);
    expect(Number(fourth.headers['retry-after'])).toBeGreaterThan(1);
  });

  it('shares a saturated fleet by weight: 1 to 3', async () => {
    await fx.sim({ script: () => ({ text: 'ok', intervalMs: 15 }) });
    await fx.start({ endpoints: [{ name: 'one', kind: 'ollama', url: fx.sims[0]!.url, slots: 2 }] }, {
      env,
      tenancy: { tenants: [{ name: 'light', keyEnv: 'KEY_A', weight: 1 }, { name: 'heavy', keyEnv: 'KEY_B', weight: 3 }] },
    });
    // Both keep 8 requests in flight (4x the fleet's slots) for a while; count what completes.
    const done = { light: 0, heavy: 0 };
    let stop = false;
    const keepBusy = async (who: 'light' | 'heavy', key: string) => {
      while (!stop) if ((await raw(fx.url, 'POST', '/api/chat', chat(who), bearer(key))).status === 200 && !stop) done[who]++;
    };
    const workers = [...Array.from({ length: 8 }, () => keepBusy('light', env.KEY_A)), ...Array.from({ length: 8 }, () => keepBusy('heavy', env.KEY_B))];
    await new Promise((r) => setTimeout(r, 2_500));
    stop = true;
    await Promise.all(workers);
    const share = done.heavy / (done.light + done.heavy);
    expect(done.light + done.heavy).toBeGreaterThan(40);
    expect(share).toBeGreaterThan(0.65);
    expect(share).toBeLessThan(0.85);
  }, 15_000);

  it('serves loopback only when no keys are configured, unless insisted', async () => {
    await fx.sim();
    await fx.start();
    const err = await Gateway.start(fx.fleet!.router, { host: '0.0.0.0', port: 0 }).catch((e: unknown) => e);
    expect(FlotillaError.is(err, 'config')).toBe(true);
    expect((err as Error).message).toContain('--open');
    const open = await Gateway.start(fx.fleet!.router, { host: '0.0.0.0', port: 0, open: true });
    await open.close();
    const keyless = await Gateway.start(fx.fleet!.router, { port: 0, env: {}, tenancy: { tenants: [{ name: 'a', keyEnv: 'MISSING_KEY' }] } }).catch((e: unknown) => e);
    expect((keyless as Error).message).toBe('tenant "a": environment variable MISSING_KEY is not set (it holds the API key)');
  });
});
