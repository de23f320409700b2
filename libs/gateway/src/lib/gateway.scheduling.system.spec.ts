import 'reflect-metadata';
import { CHAT_MODEL, GatewayFixture, json, raw } from '../spec/gateway-fixture';

// Long runs (a minute and more): CI runs *.system.spec.ts on one Node version only.
const FAIRNESS_MS = Number(process.env['FLOTILLA_FAIRNESS_MS'] ?? 60_000);
const PRIORITY_MS = Number(process.env['FLOTILLA_PRIORITY_MS'] ?? 20_000);
const SLOTS = 2;
const env = { KEY_A: 'sk-a', KEY_B: 'sk-b', KEY_LOW: 'sk-low', KEY_HIGH: 'sk-high' };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const chat = (content: string) => json({ model: CHAT_MODEL, messages: [{ role: 'user', content }] });

/** Keeps `outstanding` requests of one key going until `stop()`; counts the completed ones and records each one's queue and service time. */
function keepBusy(url: string, key: string, outstanding: number) {
  let stopped = false;
  const done: { queueMs: number; serviceMs: number; status: number }[] = [];
  const worker = async () => {
    while (!stopped) {
      const started = performance.now();
      const r = await raw(url, 'POST', '/api/chat', chat(key), bearer(key), 120_000);
      if (stopped) break;
      const queueMs = Number(r.headers['x-flotilla-queue-ms'] ?? 0);
      done.push({ queueMs, serviceMs: performance.now() - started - queueMs, status: r.status });
    }
  };
  const workers = Array.from({ length: outstanding }, worker);
  return {
    done,
    async stop() {
      stopped = true;
      await Promise.all(workers);
    },
  };
}

describe('scheduling across tenants through the gateway', () => {
  const fx = new GatewayFixture();
  afterEach(() => fx.close());

  it(`two tenants of equal weight, one queueing twice as much as the other, complete within 10% of each other's share (${FAIRNESS_MS / 1000} s)`, async () => {
    await fx.sim({ script: () => ({ text: 'a b c d', intervalMs: 10 }) }); // equal-size requests of about 40 ms
    await fx.start(
      { endpoints: [{ name: 'one', kind: 'ollama', url: fx.sims[0]!.url, slots: SLOTS }] },
      { env, tenancy: { tenants: [{ name: 'a', keyEnv: 'KEY_A' }, { name: 'b', keyEnv: 'KEY_B' }] } },
    );
    // a keeps 4x the fleet's slots queued, b 2x: first come first served would give a two thirds.
    const a = keepBusy(fx.url, env.KEY_A, 5 * SLOTS);
    const b = keepBusy(fx.url, env.KEY_B, 3 * SLOTS);
    await new Promise((r) => setTimeout(r, FAIRNESS_MS));
    await Promise.all([a.stop(), b.stop()]);
    const total = a.done.length + b.done.length;
    expect(total).toBeGreaterThan(FAIRNESS_MS / 100);
    expect([...a.done, ...b.done].every((d) => d.status === 200)).toBe(true);
    expect(Math.abs(a.done.length - b.done.length) / total).toBeLessThanOrEqual(0.1);
  }, FAIRNESS_MS + 60_000);

  it(`a high-priority tenant waits no longer than the longest call takes while a low one keeps 10x the slots queued, which still completes (${PRIORITY_MS / 1000} s)`, async () => {
    await fx.sim({ script: () => ({ text: 'a b c d e', intervalMs: 20 }) }); // about 100 ms per call
    const maxQueueMs = 30_000;
    await fx.start(
      { endpoints: [{ name: 'one', kind: 'ollama', url: fx.sims[0]!.url, slots: SLOTS }], routing: { maxQueueMs, priorityAgingMs: 5_000 } },
      { env, tenancy: { tenants: [{ name: 'low', keyEnv: 'KEY_LOW', priority: 0 }, { name: 'high', keyEnv: 'KEY_HIGH', priority: 10 }] } },
    );
    const low = keepBusy(fx.url, env.KEY_LOW, 11 * SLOTS); // 10x the slots queued, the rest running
    await new Promise((r) => setTimeout(r, 500));
    const high: { queueMs: number; serviceMs: number; status: number }[] = [];
    const end = performance.now() + PRIORITY_MS;
    while (performance.now() < end) {
      const started = performance.now();
      const r = await raw(fx.url, 'POST', '/api/chat', chat('urgent'), bearer(env.KEY_HIGH));
      const queueMs = Number(r.headers['x-flotilla-queue-ms'] ?? 0);
      high.push({ queueMs, serviceMs: performance.now() - started - queueMs, status: r.status });
    }
    await low.stop();
    const all = [...low.done, ...high];
    expect(all.every((d) => d.status === 200)).toBe(true); // no low request starved into an overload error
    const longestCall = Math.max(...all.map((d) => d.serviceMs));
    const waits = high.map((d) => d.queueMs).sort((x, y) => x - y);
    const p99 = waits[Math.min(waits.length - 1, Math.floor(waits.length * 0.99))]!;
    expect(high.length).toBeGreaterThan(PRIORITY_MS / 1_000);
    expect(p99).toBeLessThanOrEqual(longestCall);
    expect(Math.max(...low.done.map((d) => d.queueMs))).toBeLessThan(maxQueueMs);
    expect(low.done.length).toBeGreaterThan(high.length); // the low tenant kept being served
  }, PRIORITY_MS + 60_000);
});
