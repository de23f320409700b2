import { OllamaSimServer } from './ollama-sim.server';
import type { OllamaSimOptions } from './ollama-sim.options';
import { post, waitFor } from './sim-test.helpers';

type Ps = { models: { name: string; expires_at: string; context_length: number }[] };

describe('OllamaSimServer: scheduler', () => {
  const servers: OllamaSimServer[] = [];
  async function start(options: OllamaSimOptions): Promise<{ sim: OllamaSimServer; url: string }> {
    const sim = new OllamaSimServer({ timeScale: 0.01, ...options });
    servers.push(sim);
    return { sim, url: await sim.start() };
  }
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });
  const chat = (url: string, model: string, extra: Record<string, unknown> = {}, signal?: AbortSignal) =>
    post(`${url}/api/chat`, { model, messages: [{ role: 'user', content: 'hello' }], stream: false, ...extra }, signal);
  const ps = async (url: string) => ((await (await fetch(`${url}/api/ps`)).json()) as Ps).models;

  it('runs at most NUM_PARALLEL generations per model; the rest wait for a slot, none fail', async () => {
    const { sim, url } = await start({ models: ['a'], numParallel: 2 });
    let peak = 0;
    const probe = setInterval(() => (peak = Math.max(peak, sim.activeGenerations)), 2);
    const rs = await Promise.all(Array.from({ length: 5 }, () => {
      sim.scriptNext({ text: 'a b c d e', intervalMs: 15 });
      return chat(url, 'a');
    }));
    clearInterval(probe);
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(peak).toBe(2);
    expect(sim.stats.loads).toBe(1);
  });

  it('loads a cold model once for concurrent callers, reporting load_duration to the waiting ones', async () => {
    const { sim, url } = await start({ models: [{ name: 'a', loadMs: 2000 }], numParallel: 4 });
    const rs = await Promise.all([chat(url, 'a'), chat(url, 'a')]);
    expect(sim.stats.loads).toBe(1);
    for (const r of rs) expect(JSON.parse(r.text).load_duration).toBe(2_000_000_000);
    expect(JSON.parse((await chat(url, 'a')).text)).not.toHaveProperty('load_duration');
  });

  it('evicts the least recently used idle model at OLLAMA_MAX_LOADED_MODELS', async () => {
    const { sim, url } = await start({ models: ['a', 'b', 'c'], maxLoadedModels: 2 });
    await chat(url, 'a');
    await chat(url, 'b');
    await chat(url, 'a');
    await chat(url, 'c');
    expect(sim.loadedModels().sort()).toEqual(['a:latest', 'c:latest']);
    expect(sim.stats.evictions).toBe(1);
  });

  it('waits for a busy model to go idle instead of evicting it', async () => {
    const { sim, url } = await start({ models: ['a', 'b'], maxLoadedModels: 1 });
    sim.scriptNext({ text: 'x y z', intervalMs: 40 }, { model: 'a' });
    const slow = chat(url, 'a');
    await waitFor(() => sim.activeGenerations === 1);
    const t0 = Date.now();
    const other = await chat(url, 'b');
    expect(other.status).toBe(200);
    expect((await slow).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(40);
    expect(sim.loadedModels()).toEqual(['b:latest']);
  });

  it('honours keep_alive: 0 unloads after the call, a duration expires, negative keeps forever', async () => {
    const { sim, url } = await start({ models: ['a', 'b', 'c'] });
    await chat(url, 'a', { keep_alive: 0 });
    expect(sim.loadedModels()).toEqual([]);
    await chat(url, 'b', { keep_alive: '2s' }); // 20 ms at timeScale 0.01
    expect(sim.loadedModels()).toEqual(['b:latest']);
    await waitFor(() => sim.loadedModels().length === 0, 1000);
    await chat(url, 'c', { keep_alive: -1 });
    expect((await ps(url))[0]!.expires_at.startsWith('2318')).toBe(true);
  });

  it('defaults keep_alive to 5m and lists /api/ps latest expiry first', async () => {
    const { url } = await start({ models: ['a', 'b'] });
    await chat(url, 'a', { keep_alive: '1h' });
    await chat(url, 'b');
    const models = await ps(url);
    expect(models.map((m) => m.name)).toEqual(['a:latest', 'b:latest']);
    const inB = Date.parse(models[1]!.expires_at) - Date.now();
    expect(inB).toBeGreaterThan(2000); // 5 min scaled by 0.01 = 3 s
    expect(inB).toBeLessThanOrEqual(3000);
  });

  it('loads without generating on an empty chat ("load"), and unloads with keep_alive 0 ("unload")', async () => {
    const { sim, url } = await start({ models: ['a'] });
    const load = JSON.parse((await post(`${url}/api/chat`, { model: 'a', messages: [] })).text);
    expect(load).toMatchObject({ done: true, done_reason: 'load' });
    expect(sim.loadedModels()).toEqual(['a:latest']);
    const gen = JSON.parse((await post(`${url}/api/generate`, { model: 'a', keep_alive: 0 })).text);
    expect(gen).toMatchObject({ done: true, done_reason: 'unload' });
    expect(sim.loadedModels()).toEqual([]);
  });

  it('reloads when num_ctx changes, and reports the context length in /api/ps', async () => {
    const { sim, url } = await start({ models: ['a'] });
    await chat(url, 'a');
    expect((await ps(url))[0]!.context_length).toBe(4096);
    const r = JSON.parse((await chat(url, 'a', { options: { num_ctx: 8192 } })).text);
    expect(r.load_duration).toBeGreaterThan(0);
    expect(sim.stats).toMatchObject({ loads: 2, reloads: 1 });
    expect((await ps(url))[0]!.context_length).toBe(8192);
    await chat(url, 'a', { options: { num_ctx: 8192, temperature: 0.1 } });
    expect(sim.stats.loads).toBe(2);
    await chat(url, 'a', { options: { num_ctx: 4096 } });
    await chat(url, 'a');
    expect(sim.stats).toMatchObject({ loads: 3, reloads: 2 }); // an explicit default equals no option
  });

  it('rejects with 503 when more requests wait for loads than OLLAMA_MAX_QUEUE', async () => {
    const { sim, url } = await start({ models: [{ name: 'a', loadMs: 5000 }, { name: 'b', loadMs: 5000 }], maxQueue: 1 });
    const first = chat(url, 'a');
    await waitFor(() => sim.scheduler.loaded().length === 1);
    const second = await chat(url, 'b');
    expect(second.status).toBe(503);
    expect(JSON.parse(second.text).error).toBe('server busy, please try again.  maximum pending requests exceeded');
    expect((await first).status).toBe(200);
    expect(sim.stats.rejectedBusy).toBe(1);
  });

  it('never answers 503 for a loaded model: requests wait for a slot instead', async () => {
    const { url, sim } = await start({ models: ['a'], maxQueue: 1, numParallel: 1 });
    await chat(url, 'a');
    const rs = await Promise.all(Array.from({ length: 4 }, () => chat(url, 'a')));
    expect(rs.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(sim.stats.rejectedBusy).toBe(0);
  });

  it('abandons a load when every waiting client went away', async () => {
    const { sim, url } = await start({ models: [{ name: 'a', loadMs: 10_000 }] });
    const controller = new AbortController();
    const pending = chat(url, 'a', {}, controller.signal);
    await waitFor(() => sim.scheduler.loaded().length === 1);
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => sim.stats.abortedLoads === 1);
    expect(sim.scheduler.loaded()).toEqual([]);
    expect(sim.generationRequests().at(-1)!.clientDisconnected).toBe(true);
  });

  it('scales simulated time: a 60 tok/s model streams 20 tokens in about 3 ms at timeScale 0.01', async () => {
    const { url } = await start({ models: [{ name: 'a', loadMs: 0 }] });
    await chat(url, 'a');
    const t0 = Date.now();
    const r = JSON.parse((await chat(url, 'a', { messages: [{ role: 'user', content: 'w '.repeat(20) }] })).text);
    expect(Date.now() - t0).toBeLessThan(500);
    expect(r.eval_duration).toBe(Math.round((r.eval_count / 60) * 1e9));
  });
});
