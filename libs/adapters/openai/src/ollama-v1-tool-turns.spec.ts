import { collectChat } from '@flotilla/core/testing';
import { OllamaSimServer } from '@flotilla/testing';
import { OpenAICompatibleModelClient } from './index';

// Ollama's /v1 (OpenAI-compatible) API: an assistant turn that only calls tools carries
// `content: null` with its `tool_calls`, as OpenAI's API defines it, not an empty string.
describe("OpenAICompatibleModelClient against Ollama's /v1: assistant tool turns", () => {
  const sim = new OllamaSimServer({ models: ['qwen2.5:3b'], timeScale: 0.01 });
  let url: string;
  beforeAll(async () => {
    url = await sim.start();
  });
  afterAll(() => sim.close());

  it('sends content null with the tool calls, and the text when the model wrote some', async () => {
    const client = new OpenAICompatibleModelClient({ baseURL: `${url}/v1`, env: {} });
    const call = { name: 'lookup', arguments: { city: 'Oslo' } };
    const c = await collectChat(
      client.chat({
        model: 'qwen2.5:3b',
        messages: [
          { role: 'user', content: 'harbours?' },
          { role: 'assistant', content: '', toolCalls: [call] },
          { role: 'tool', toolName: 'lookup', content: 'Vippetangen' },
          { role: 'assistant', content: 'Checking Bergen too.', toolCalls: [{ name: 'lookup', arguments: { city: 'Bergen' } }] },
          { role: 'tool', toolName: 'lookup', content: 'Bryggen' },
        ],
        tools: [{ name: 'lookup', parameters: { type: 'object', properties: { city: { type: 'string' } } } }],
      }),
    );
    expect(c.error).toBeUndefined();
    const sent = sim.generationRequests().at(-1)!;
    expect(sent.path).toBe('/v1/chat/completions');
    const messages = (sent.body as { messages: Record<string, unknown>[] }).messages;
    expect(messages[1]).toMatchObject({ role: 'assistant', content: null, tool_calls: [{ type: 'function', function: { name: 'lookup', arguments: '{"city":"Oslo"}' } }] });
    expect(messages[3]).toMatchObject({ role: 'assistant', content: 'Checking Bergen too.' });
    await client.close();
  });
});
