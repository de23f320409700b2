import type { ChatRequest, FlotillaError } from '@flotilla/core';
import { collectChat } from '@flotilla/core/testing';
import { createNodeHttpFetch } from '@flotilla/http';
import { OllamaSimServer } from '@flotilla/testing';
import { OllamaModelClient } from './ollama.model-client';

const lookup = { name: 'lookup', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
const withTools = (model: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({ model, messages: [{ role: 'user', content: 'harbours of Oslo?' }], tools: [lookup], ...extra });

describe('OllamaModelClient: a model without tool support', () => {
  // Real Ollama lists what a model can do in /api/show `capabilities` (gemma2 has no "tools").
  const sim = new OllamaSimServer({ models: [{ name: 'gemma2:2b', capabilities: ['completion'] }, 'qwen2.5:3b'], timeScale: 0.01 });
  let host: string;
  beforeAll(async () => {
    host = await sim.start();
  });
  afterAll(() => sim.close());
  const shows = () => sim.requests.filter((r) => r.path === '/api/show').length;
  const chats = () => sim.generationRequests().length;

  it('is a badRequest naming the model and its capabilities, before any chat is sent; the lookup is remembered', async () => {
    const client = new OllamaModelClient({ host });
    const [showsBefore, chatsBefore] = [shows(), chats()];
    for (let i = 0; i < 2; i++) {
      const c = await collectChat(client.chat(withTools('gemma2:2b')));
      expect(c.error).toMatchObject({ kind: 'badRequest', retryable: false, details: { model: 'gemma2:2b', capabilities: ['completion'], unsupported: 'tools' } });
      expect((c.error as FlotillaError).message).toContain('model "gemma2:2b"');
      expect((c.error as FlotillaError).message).toContain('does not support tools');
    }
    expect(shows()).toBe(showsBefore + 1);
    expect(chats()).toBe(chatsBefore);
    await client.close();
  });

  it('a model with tools, a chat without tools and tool choice none are sent as they are', async () => {
    const client = new OllamaModelClient({ host });
    expect((await collectChat(client.chat(withTools('qwen2.5:3b')))).error).toBeUndefined();
    expect((await collectChat(client.chat({ model: 'gemma2:2b', messages: [{ role: 'user', content: 'hi' }] }))).error).toBeUndefined();
    expect((await collectChat(client.chat(withTools('gemma2:2b', { toolChoice: 'none' })))).error).toBeUndefined();
    expect(await client.capabilities('qwen2.5:3b')).toEqual(['completion', 'tools']);
    await client.close();
  });

  it('calls that start together ask the server once', async () => {
    const client = new OllamaModelClient({ host });
    const showsBefore = shows();
    const all = await Promise.all([1, 2, 3].map(() => collectChat(client.chat(withTools('gemma2:2b')))));
    for (const c of all) expect(c.error).toMatchObject({ kind: 'badRequest', details: { capabilities: ['completion'] } });
    expect(shows()).toBe(showsBefore + 1);
    await client.close();
  });

  it('a lookup that misses its deadline is not remembered and does not fail the call', async () => {
    const real = createNodeHttpFetch();
    let hangShows = 1;
    // The first /api/show never answers (a wedged server); the deadline must end it.
    const transport = ((url: string | URL | Request, init?: RequestInit) => {
      if (String(url).endsWith('/api/show') && hangShows-- > 0) {
        return new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason), { once: true }));
      }
      return real(url, init);
    }) as typeof fetch;
    const client = new OllamaModelClient({ host, fetch: transport, metadataTimeoutMs: 150 });
    const showsBefore = shows();
    const first = await collectChat(client.chat(withTools('gemma2:2b')));
    // Unknown capabilities: the chat went on, and the server's own refusal is what the caller sees.
    expect(first.error).toMatchObject({ kind: 'badRequest' });
    expect((first.error as FlotillaError).message).toContain('does not support tools');
    expect((first.error as FlotillaError).details['capabilities']).toBeUndefined();
    const second = await collectChat(client.chat(withTools('gemma2:2b')));
    expect(second.error).toMatchObject({ kind: 'badRequest', details: { capabilities: ['completion'] } });
    expect(shows()).toBe(showsBefore + 1); // the hung lookup never reached the server; the second asked again
    real.close();
  });
});
