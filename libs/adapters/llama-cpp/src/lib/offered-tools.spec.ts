import Ajv from 'ajv';
import type { ChatMessage, ChatRequest, FinalEvent, ToolCallDeltaEvent, ToolDefinition } from '@flotilla/core';
import { collectChat } from '@flotilla/core/testing';
import { ONE_TOKEN_CALL_TEMPLATE } from '@flotilla/testing';
import { type SyntheticModels, writeSyntheticModels } from '../testing/synthetic-models';
import { toChatHistory } from './chat-history.mapper';
import { LlamaCppModelClient } from './llama-cpp.model-client';

const harbours: ToolDefinition = {
  name: 'harbours',
  description: 'The harbours of a city',
  parameters: { type: 'object', additionalProperties: false, required: ['city'], properties: { city: { type: 'string', maxLength: 12 } } },
};
const tide: ToolDefinition = { name: 'tide', parameters: { type: 'object', additionalProperties: false, required: ['port', 'hours'], properties: { port: { type: 'string', maxLength: 8 }, hours: { type: 'integer' } } } };
/** What node-llama-cpp's call grammar cannot enforce: numeric bounds, patterns. */
const bounded: ToolDefinition = {
  name: 'bounded',
  parameters: { type: 'object', additionalProperties: false, required: ['hours', 'code'], properties: { hours: { type: 'integer', minimum: 1, maximum: 24 }, code: { type: 'string', pattern: '^[A-Z]{3}$', maxLength: 3 } } },
};
const ajv = new Ajv({ strict: false });

/**
 * Tool choice `auto` on the embedded engine: the tools are offered through the model's chat
 * template (node-llama-cpp's function calling), the model decides, and a call it starts is
 * finished under a grammar of the tool's parameters. Random weights decide nothing, so two
 * synthetic models stand for the two decisions: one whose template opens a call with one token
 * that it is biased to write (it calls), one that never writes it (it answers).
 */
describe('LlamaCppModelClient: tools offered with tool choice auto', () => {
  jest.setTimeout(60_000);
  let models: SyntheticModels;
  let client: LlamaCppModelClient;
  beforeAll(async () => {
    models = await writeSyntheticModels({
      caller: { seed: 5, chatTemplate: ONE_TOKEN_CALL_TEMPLATE, toolCallTokens: true, stopBias: 1, biases: { '<tool_call>': 12, '"': 3 }, contextLength: 2048 },
      answerer: { seed: 6, chatTemplate: ONE_TOKEN_CALL_TEMPLATE, toolCallTokens: true, stopBias: 2, contextLength: 2048 },
    });
    client = new LlamaCppModelClient({ models: { caller: models.path('caller'), answerer: models.path('answerer') } });
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await models?.remove();
  });
  const ask = (model: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
    model,
    messages: [{ role: 'user', content: 'Where can a ferry moor in Oslo?' }],
    tools: [harbours, tide],
    options: { temperature: 1, seed: 7, maxTokens: 64 },
    ...extra,
  });

  // With this seed the model calls `tide` with hours written -60401201E5202, which node-llama-cpp's own check refuses
  // after its grammar allowed it: the call must still arrive (as written), for the engine's check of the tool's schema.
  it('a model that starts a call: the call is finished under its tool\'s grammar, its arguments streamed, no warning', async () => {
    const c = await collectChat(client.chat(ask('caller')));
    expect(c.error).toBeUndefined();
    const final = c.events.find((e): e is FinalEvent => e.type === 'final')!;
    expect(final.finishReason).toBe('toolCalls');
    expect(final.warnings ?? []).toEqual([]);
    const calls = final.message.toolCalls!;
    expect(calls.length).toBeGreaterThanOrEqual(1);
    for (const call of calls) {
      const tool = [harbours, tide].find((t) => t.name === call.name);
      expect(tool).toBeDefined();
      expect(ajv.validate(tool!.parameters, call.arguments)).toBe(true);
    }
    expect(c.events.filter((e) => e.type === 'toolCall').map((e) => (e as { call: unknown }).call)).toEqual(calls);
    // The argument pieces, joined per call, are the arguments' JSON text.
    const deltas = c.events.filter((e): e is ToolCallDeltaEvent => e.type === 'toolCallDelta');
    expect(deltas[0]).toMatchObject({ index: 0, name: calls[0]!.name });
    const text = deltas.filter((d) => d.index === 0).map((d) => d.argumentsDelta).join('');
    expect(JSON.parse(text)).toEqual(calls[0]!.arguments);
    expect(final.usage!.completionTokens).toBeGreaterThan(0);
  });

  it('a model that starts no call answers in text, with no warning', async () => {
    const c = await collectChat(client.chat(ask('answerer')));
    const final = c.events.find((e): e is FinalEvent => e.type === 'final')!;
    expect(final.message.toolCalls).toBeUndefined();
    expect(final.message.content.length).toBeGreaterThan(0);
    expect(final.warnings ?? []).toEqual([]);
  });

  it('after a call, the conversation with its results goes back to the model (function calls and results, in its template); tool choice none offers nothing', async () => {
    const first = await collectChat(client.chat(ask('caller')));
    expect(first.error).toBeUndefined();
    const message = first.events.find((e): e is FinalEvent => e.type === 'final')!.message;
    const results: ChatMessage[] = message.toolCalls!.map((call, i) => ({ role: 'tool', toolName: call.name, content: `{"result":${i}}` }));
    const again = await collectChat(client.chat(ask('answerer', { messages: [...ask('answerer').messages, message, ...results] })));
    expect(again.error).toBeUndefined();
    expect(again.events.find((e): e is FinalEvent => e.type === 'final')!.usage!.promptTokens).toBeGreaterThan(0);
    const none = await collectChat(client.chat(ask('caller', { toolChoice: 'none' })));
    const final = none.events.find((e): e is FinalEvent => e.type === 'final')!;
    expect(final.message.toolCalls).toBeUndefined();
    expect(final.warnings ?? []).toEqual([]);
  });

  it('what the call grammar cannot enforce is named in the warnings', async () => {
    const c = await collectChat(client.chat(ask('answerer', { tools: [harbours, bounded] })));
    const final = c.events.find((e): e is FinalEvent => e.type === 'final')!;
    expect(final.warnings).toEqual([
      expect.objectContaining({ option: 'tools', message: expect.stringContaining('the call grammar does not enforce tool "bounded": maximum, minimum, pattern (every call is checked') }),
    ]);
  });

  it('an output format constrains the whole reply: the tools are not offered, and the warning says why', async () => {
    const c = await collectChat(client.chat(ask('caller', { format: { type: 'object', properties: { port: { type: 'string', maxLength: 8 } }, required: ['port'], additionalProperties: false } })));
    const final = c.events.find((e): e is FinalEvent => e.type === 'final')!;
    expect(final.message.toolCalls).toBeUndefined();
    expect(final.warnings).toEqual([expect.objectContaining({ option: 'tools', message: expect.stringContaining('the output format constrains the whole reply') })]);
  });
});

describe('toChatHistory', () => {
  it('turns an assistant turn with tool calls and the tool messages answering them into function calls with results', () => {
    const history = toChatHistory([
      { role: 'user', content: 'moor?' },
      { role: 'assistant', content: 'Looking.', toolCalls: [{ id: 'a', name: 'harbours', arguments: { city: 'Oslo' } }, { id: 'b', name: 'tide', arguments: { port: 'Oslo', hours: 2 } }] },
      // Answered out of order: matched by id.
      { role: 'tool', toolCallId: 'b', toolName: 'tide', content: 'high at 14:02' },
      { role: 'tool', toolCallId: 'a', toolName: 'harbours', content: '["Vippetangen"]' },
      { role: 'tool', toolName: 'stray', content: 'answers no call' },
    ]);
    expect(history).toEqual([
      { type: 'user', text: 'moor?' },
      {
        type: 'model',
        response: [
          'Looking.',
          { type: 'functionCall', name: 'harbours', params: { city: 'Oslo' }, result: '["Vippetangen"]' },
          { type: 'functionCall', name: 'tide', params: { port: 'Oslo', hours: 2 }, result: 'high at 14:02' },
        ],
      },
      { type: 'user', text: 'Result of tool stray: answers no call' },
      { type: 'model', response: [] },
    ]);
  });
});
