import Ajv from 'ajv';
import type { ChatRequest, FinalEvent, ToolDefinition } from '@flotilla/core';
import { collectChat } from '@flotilla/core/testing';
import { type SyntheticModels, writeSyntheticModels } from '../testing/synthetic-models';
import { LlamaCppModelClient } from './llama-cpp.model-client';

const lookup: ToolDefinition = {
  name: 'lookup',
  description: 'Find a harbour',
  parameters: { type: 'object', additionalProperties: false, required: ['city', 'limit'], properties: { city: { type: 'string', maxLength: 12 }, limit: { type: 'integer', minimum: 1, maximum: 5 } } },
};
const note: ToolDefinition = { name: 'note', parameters: { type: 'object', additionalProperties: false, required: ['text'], properties: { text: { type: 'string', maxLength: 16 } } } };
const ajv = new Ajv({ strict: false });
const argsValid = (tool: ToolDefinition, args: unknown) => ajv.validate(tool.parameters, args);

describe('LlamaCppModelClient: forced tool calls on a random-weight model', () => {
  let models: SyntheticModels;
  let client: LlamaCppModelClient;
  beforeAll(async () => {
    models = await writeSyntheticModels({ chat: { seed: 3, stopBias: 2, contextLength: 2048 } });
    client = new LlamaCppModelClient({ models: { chat: models.path('chat') } });
  }, 30_000);
  afterAll(async () => {
    await client?.close();
    await models?.remove();
  });
  const ask = (toolChoice: ChatRequest['toolChoice'], seed: number): ChatRequest => ({
    model: 'chat',
    messages: [{ role: 'user', content: 'harbours of Oslo?' }],
    tools: [lookup, note],
    toolChoice,
    options: { seed, temperature: 1, maxTokens: 256 },
  });

  it.each([
    ['required', 'required' as const, 11],
    ['required, another seed', 'required' as const, 12],
    ['a named tool', { name: 'note' }, 13],
    ['the other named tool', { name: 'lookup' }, 14],
  ])('%s: one call that parses and validates, no text, no warning', async (_what, choice, seed) => {
    const c = await collectChat(client.chat(ask(choice, seed)));
    expect(c.error).toBeUndefined();
    const final = c.events.find((e): e is FinalEvent => e.type === 'final')!;
    expect(final.finishReason).toBe('toolCalls');
    expect(final.message.content).toBe('');
    expect(c.events.some((e) => e.type === 'delta')).toBe(false);
    expect(final.warnings ?? []).toEqual([]);
    const calls = final.message.toolCalls!;
    expect(calls).toHaveLength(1);
    const tool = [lookup, note].find((t) => t.name === calls[0]!.name)!;
    if (typeof choice === 'object') expect(calls[0]!.name).toBe(choice.name);
    expect(argsValid(tool, calls[0]!.arguments)).toBe(true);
    expect(c.events.filter((e) => e.type === 'toolCall')).toEqual([{ type: 'toolCall', call: calls[0] }]);
  });

  it('auto: nothing is forced; a model that starts no call answers in text (offered-tools.spec has one that does)', async () => {
    const c = await collectChat(client.chat(ask('auto', 5)));
    const final = c.events.find((e): e is FinalEvent => e.type === 'final')!;
    expect(final.message.toolCalls).toBeUndefined();
    expect(final.message.content.length).toBeGreaterThan(0);
    // Offered, with what the call grammar would not enforce had the model started a call.
    expect(final.warnings).toEqual([expect.objectContaining({ option: 'tools', message: expect.stringContaining('does not enforce tool "lookup": maximum, minimum (') })]);
  });

  it('a named tool the request does not have is a badRequest', async () => {
    const c = await collectChat(client.chat(ask({ name: 'sail' }, 5)));
    expect(c.error).toMatchObject({ kind: 'badRequest' });
  });
});
