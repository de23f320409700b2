import { OllamaSimServer } from './ollama-sim.server';
import { lines, post, waitFor } from './sim-test.helpers';

describe('OllamaSimServer: fault injection', () => {
  const sim = new OllamaSimServer({ models: ['m1', 'm2'], timeScale: 0.01 });
  let url: string;
  const chat = (content: string, extra: Record<string, unknown> = {}, signal?: AbortSignal) =>
    post(`${url}/api/chat`, { model: 'm1', messages: [{ role: 'user', content }], ...extra }, signal);
  beforeAll(async () => {
    url = await sim.start();
  });
  afterAll(() => sim.close());

  it.each([
    [500, 'llama runner process has terminated: exit status 2'],
    [503, 'server busy, please try again.  maximum pending requests exceeded'],
    [404, "model 'm1' not found"],
  ])('answers status %i before any byte, with an {error} body', async (status, message) => {
    sim.scriptNext({ fault: { type: 'status', status } });
    const r = await chat('hi');
    expect(r.status).toBe(status);
    expect(JSON.parse(r.text)).toEqual({ error: message });
  });

  it('sends a mid-stream {"error"} line with status 200 and no done chunk', async () => {
    sim.scriptNext({ fault: { type: 'midStreamError', afterChunks: 2, message: 'boom' } });
    const r = await chat('one two three four');
    expect(r.status).toBe(200);
    const ls = lines(r.text);
    expect(ls).toHaveLength(3);
    expect(ls.at(-1)).toEqual({ error: 'boom' });
    expect(ls.some((l) => l['done'] === true)).toBe(false);
  });

  it('drops the connection mid-stream (and does not count it as a client disconnect)', async () => {
    sim.scriptNext({ fault: { type: 'drop', afterChunks: 1 } });
    await expect(chat('one two three')).rejects.toThrow();
    const rec = sim.generationRequests().at(-1)!;
    await waitFor(() => rec.finishedAt !== undefined);
    expect(rec).toMatchObject({ outcome: 'drop', clientDisconnected: false });
  });

  it('truncates: ends the body cleanly without the done chunk', async () => {
    sim.scriptNext({ fault: { type: 'truncate', afterChunks: 2 } });
    const ls = lines((await chat('one two three')).text);
    expect(ls).toHaveLength(2);
    expect(ls.every((l) => l['done'] === false)).toBe(true);
  });

  it('writes a malformed line and goes on', async () => {
    sim.scriptNext({ fault: { type: 'malformed', afterChunks: 1 } });
    const text = (await chat('one two three')).text;
    const raw = text.split('\n').filter(Boolean);
    expect(raw.filter((l) => !l.startsWith('{"model":"m1'))).toHaveLength(1);
    expect(JSON.parse(raw.at(-1)!)).toMatchObject({ done: true });
  });

  it('hangs before the first byte until the client leaves, and records the disconnect', async () => {
    sim.scriptNext({ fault: { type: 'hang' } });
    const controller = new AbortController();
    const pending = chat('hi', {}, controller.signal);
    await new Promise((r) => setTimeout(r, 100));
    const rec = sim.generationRequests().at(-1)!;
    expect(rec.firstByteAt).toBeUndefined();
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => rec.clientDisconnected);
    expect(rec.outcome).toBe('hang');
  });

  it('trickles chunks at the given real interval', async () => {
    sim.scriptNext({ text: 'a b c d', fault: { type: 'trickle', intervalMs: 40 } });
    const t0 = Date.now();
    const r = await chat('hi');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3 * 40 - 5);
    expect(lines(r.text).slice(0, -1).map((l) => (l['message'] as { content: string }).content)).toEqual(['a', ' b', ' c', ' d']);
  });

  it('applies rules by model and magic string, `times` limited', async () => {
    const remove = sim.addFaultRule({ model: 'm2', contains: 'FAIL', fault: { type: 'status', status: 503 }, times: 1 });
    expect((await chat('FAIL please')).status).toBe(200);
    const m2 = (content: string) => post(`${url}/api/chat`, { model: 'm2', messages: [{ role: 'user', content }], stream: false });
    expect((await m2('FAIL please')).status).toBe(503);
    expect((await m2('FAIL please')).status).toBe(200);
    remove();
    const rx = sim.addFaultRule({ model: /^m1/, fault: { type: 'status', status: 500 } });
    expect((await chat('x')).status).toBe(500);
    rx();
  });

  it('reads faults from magic strings in the last user message', async () => {
    expect((await chat('please [[sim:status=503]]')).status).toBe(503);
    expect(lines((await chat('one two three [[sim:error=1]]')).text).at(-1)).toHaveProperty('error');
  });

  it('records a client that disconnects mid-stream, and stops generating for it', async () => {
    sim.scriptNext({ text: 'x '.repeat(50), intervalMs: 20 });
    const controller = new AbortController();
    const res = await fetch(`${url}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'm1', messages: [{ role: 'user', content: 'go' }] }), signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    expect(sim.activeGenerations).toBe(1);
    controller.abort();
    const rec = sim.generationRequests().at(-1)!;
    await sim.waitFor((s) => rec.clientDisconnected && s.activeGenerations === 0);
    expect(rec.outcome).toBe('cancelled');
  });

  it('scriptNext can target one model; replies queue in order', async () => {
    sim.scriptNext('for m2', { model: 'm2' });
    sim.scriptNext('first');
    sim.scriptNext('second');
    const text = async (model: string) => JSON.parse((await post(`${url}/api/chat`, { model, messages: [{ role: 'user', content: 'q' }], stream: false })).text).message.content;
    expect(await text('m1')).toBe('first');
    expect(await text('m2')).toBe('for m2');
    expect(await text('m1')).toBe('second');
  });
});
