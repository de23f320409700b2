import { collectChat } from '@flotilla/core/testing';
import { OllamaSimServer } from '@flotilla/testing';
import { OllamaModelClient } from './ollama.model-client';
import { createNodeHttpFetch } from '@flotilla/http';

/**
 * Node's fetch (undici) drops a request after 300 s without response headers, and Ollama
 * sends headers only with the first token (or, for stream:false, with the whole reply).
 * Waiting 300 s is not a unit test; these specs pin the choice that avoids the trap and
 * show a long header-less wait succeeding through it.
 */
describe('transport: no 300 s headers-timeout trap', () => {
  const sim = new OllamaSimServer({ models: ['m'], timeScale: 1 });
  let host: string;
  beforeAll(async () => {
    host = await sim.start();
  });
  afterAll(() => sim.close());

  it('does not use the built-in fetch (undici) unless given it explicitly', () => {
    expect(new OllamaModelClient({ host }).usesBuiltinFetch).toBe(false);
    expect(new OllamaModelClient({ host, fetch: globalThis.fetch }).usesBuiltinFetch).toBe(true);
  });

  it('waits as long as the server needs before the first header byte (stream:false, ~1 s of silence)', async () => {
    await collectChat(new OllamaModelClient({ host }).chat({ model: 'm', messages: [] })); // load first
    sim.scriptNext({ text: 'a b c d e f g h i j k', intervalMs: 100 });
    const c = await collectChat(new OllamaModelClient({ host, stream: false }).chat({ model: 'm', messages: [{ role: 'user', content: 'x' }] }));
    expect(c.error).toBeUndefined();
    const rec = sim.generationRequests().at(-1)!;
    expect(rec.firstByteAt! - rec.receivedAt).toBeGreaterThanOrEqual(900);
    expect(rec.clientDisconnected).toBe(false);
  });

  it('speaks plain HTTP/1.1 fetch semantics the ollama client relies on: status, headers, streamed body', async () => {
    const f = createNodeHttpFetch();
    const ok = await f(`${host}/api/version`);
    expect(ok.ok).toBe(true);
    expect(ok.headers.get('content-type')).toContain('application/json');
    expect(await ok.json()).toEqual({ version: expect.any(String) });
    const missing = await f(`${host}/api/show`, { method: 'POST', body: JSON.stringify({ model: 'ghost' }) });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "model 'ghost' not found" });
    const head = await f(`${host}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('rejects with an AbortError and closes the socket when the signal aborts', async () => {
    sim.scriptNext({ fault: { type: 'hang' } });
    const controller = new AbortController();
    const pending = createNodeHttpFetch()(`${host}/api/chat`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    const rec = sim.generationRequests().at(-1)!;
    const until = Date.now() + 2000;
    while (!rec.clientDisconnected && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(rec.clientDisconnected).toBe(true);
  });
});
