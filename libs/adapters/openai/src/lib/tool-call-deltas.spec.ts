import { z } from 'zod';
import { type ToolCallDeltaEvent, createFlotilla, defineAgent, defineTool } from '@flotilla/core';
import { collectChat } from '@flotilla/core/testing';
import { OpenAITestServer } from '@flotilla/testing';
import { OpenAICompatibleModelClient } from '../index';

describe('streamed tool-call arguments', () => {
  const server = new OpenAITestServer({ models: ['m'], slots: 2, timeScale: 0.01 });
  let client: OpenAICompatibleModelClient;
  beforeAll(async () => {
    await server.start();
    client = new OpenAICompatibleModelClient({ baseURL: server.baseURL, env: {} });
  });
  afterAll(async () => {
    await client.close?.();
    await server.close();
  });

  it('come as toolCallDelta events whose pieces join into the call, then the whole call', async () => {
    server.scriptNext({ toolCalls: [{ name: 'lookup', arguments: { city: 'Oslo', limit: 2 } }] });
    const tools = [{ name: 'lookup', parameters: { type: 'object', properties: { city: { type: 'string' }, limit: { type: 'integer' } } } }];
    const c = await collectChat(client.chat({ model: 'm', messages: [{ role: 'user', content: 'where?' }], tools }));
    const pieces = c.events.filter((e): e is ToolCallDeltaEvent => e.type === 'toolCallDelta');
    expect(pieces.length).toBeGreaterThan(1); // the server splits the arguments
    expect(pieces[0]).toMatchObject({ index: 0, name: 'lookup', id: expect.any(String) });
    expect(JSON.parse(pieces.map((p) => p.argumentsDelta).join(''))).toEqual({ city: 'Oslo', limit: 2 });
    expect(c.events.findIndex((e) => e.type === 'toolCall')).toBeGreaterThan(c.events.indexOf(pieces.at(-1)!));
  });

  it('reach the run as tool.delta events with the step key', async () => {
    server.scriptNext({ toolCalls: [{ name: 'lookup', arguments: { city: 'Oslo', limit: 2 } }] });
    const lookup = defineTool({ name: 'lookup', input: z.object({ city: z.string(), limit: z.number() }), run: ({ city }) => city });
    const agent = defineAgent({ name: 'asker', model: 'm', tools: [lookup], prompt: (q: string) => q });
    const flotilla = createFlotilla({ client, config: { engine: { traceTokens: true } } });
    const result = await flotilla.run(agent, 'where?').result;
    expect(result.status).toBe('succeeded');
    const deltas = result.trace.filter((e) => e.type === 'tool.delta');
    expect(deltas[0]).toMatchObject({ key: '', index: 0, tool: 'lookup' });
    expect(deltas.map((d) => (d as { text: string }).text).join('')).toBe('{"city":"Oslo","limit":2}');
  });
});
