import { z } from 'zod';
import { recoverToolCalls } from './recover-tool-calls';
import { defineTool, type Tool } from './tool';
import { ScriptedModelClient } from '../../testing/scripted.model-client';
import { createFlotilla } from '../flotilla/create-flotilla';
import { defineAgent } from '../agents/agent-spec';
import type { ToolCallRunEvent } from '../events/run-event';

const weather = defineTool({
  name: 'get_current_temperature',
  description: 'Get current temperature at a location.',
  input: z.object({ location: z.string(), unit: z.enum(['celsius', 'fahrenheit']).optional() }),
  run: ({ location }) => `${location}: 26.1`,
});
const lookup = defineTool({
  name: 'lookup',
  input: { type: 'object', required: ['city'], properties: { city: { type: 'string', maxLength: 20 }, limit: { type: 'integer' } }, additionalProperties: false },
  run: ({ city }) => String(city),
});
const tools = new Map<string, Tool<never, unknown>>([
  [weather.name, weather as Tool<never, unknown>],
  [lookup.name, lookup as Tool<never, unknown>],
]);
const recovered = (name: string, args: Record<string, unknown>) => ({ name, arguments: args, recovered: true });

describe('recoverToolCalls: formats real models write', () => {
  it('Hermes / Qwen 2.5 <tool_call> tags, one per call', () => {
    // Qwen2.5-Instruct's chat template (tokenizer_config.json, and Qwen's function-calling docs,
    // "Hermes-style tool use"): "For each function call, return a json object with function name
    // and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{"name": <function-name>,
    // "arguments": <args-json-object>}\n</tool_call>". Two calls, as Qwen's docs show them.
    const text =
      '<tool_call>\n{"name": "get_current_temperature", "arguments": {"location": "San Francisco, CA, USA"}}\n</tool_call>\n' +
      '<tool_call>\n{"name": "get_current_temperature", "arguments": {"location": "San Francisco, CA, USA", "unit": "celsius"}}\n</tool_call>';
    expect(recoverToolCalls(text, tools)).toEqual({
      calls: [
        recovered('get_current_temperature', { location: 'San Francisco, CA, USA' }),
        recovered('get_current_temperature', { location: 'San Francisco, CA, USA', unit: 'celsius' }),
      ],
      content: '',
    });
  });

  it('NousResearch Hermes 2 Pro function calling: text before the tag is kept as the content', () => {
    // NousResearch/Hermes-Function-Calling (README, "Prompt Format for Function Calling"): the model
    // answers `<tool_call>\n{"arguments": <args-dict>, "name": <function-name>}\n</tool_call>`:
    // arguments before name.
    const text = 'Let me check that for you.\n<tool_call>\n{"arguments": {"city": "Oslo", "limit": 2}, "name": "lookup"}\n</tool_call>';
    expect(recoverToolCalls(text, tools)).toEqual({ calls: [recovered('lookup', { city: 'Oslo', limit: 2 })], content: 'Let me check that for you.' });
  });

  it('bare JSON with "parameters" (Llama 3.1 / 3.2 JSON tool calling)', () => {
    // Llama 3.1/3.2 model cards and chat template: 'Respond in the format {"name": function name,
    // "parameters": dictionary of argument name and its value}. Do not use variables.'
    expect(recoverToolCalls('{"name": "lookup", "parameters": {"city": "Bergen"}}', tools)?.calls).toEqual([recovered('lookup', { city: 'Bergen' })]);
  });

  it("an array of calls (Mistral's [TOOL_CALLS] format), arguments as an object", () => {
    // Mistral-7B-Instruct-v0.3 (mistral-common, the tokenizer's tool-call format):
    // `[TOOL_CALLS] [{"name": "...", "arguments": {...}}]`.
    const text = '[TOOL_CALLS] [{"name": "lookup", "arguments": {"city": "Oslo"}}, {"name": "lookup", "arguments": {"city": "Bergen", "limit": 1}}]';
    expect(recoverToolCalls(text, tools)).toEqual({ calls: [recovered('lookup', { city: 'Oslo' }), recovered('lookup', { city: 'Bergen', limit: 1 })], content: '' });
  });

  it('inside a Markdown code fence, with arguments as a JSON string (the OpenAI wire shape small models imitate)', () => {
    const text = 'Calling the tool:\n```json\n{"name": "lookup", "arguments": "{\\"city\\": \\"Oslo\\"}"}\n```';
    expect(recoverToolCalls(text, tools)).toEqual({ calls: [recovered('lookup', { city: 'Oslo' })], content: 'Calling the tool:' });
  });

  it('only the wrappers of the calls are taken out of the text: other code fences stay', () => {
    const text = 'Run this:\n```sh\nls -la\n```\n<tool_call>\n{"name": "lookup", "arguments": {"city": "Oslo"}}\n</tool_call>\nthen ```done```';
    expect(recoverToolCalls(text, tools)).toEqual({ calls: [recovered('lookup', { city: 'Oslo' })], content: 'Run this:\n```sh\nls -la\n```\n\nthen ```done```' });
  });

  it('braces inside argument strings do not confuse the search', () => {
    expect(recoverToolCalls('<tool_call>{"name": "lookup", "arguments": {"city": "a}]{\\"b"}}</tool_call>', tools)?.calls).toEqual([recovered('lookup', { city: 'a}]{"b' })]);
  });
});

describe('recoverToolCalls: anything else stays text', () => {
  it.each([
    ['a tool the agent does not have', '<tool_call>{"name": "web_search", "arguments": {"q": "Oslo"}}</tool_call>'],
    ['arguments that fail the schema (JSON Schema)', '{"name": "lookup", "arguments": {"city": "Oslo", "port": 1}}'],
    ['arguments that fail the schema (zod)', '{"name": "get_current_temperature", "arguments": {"location": "Oslo", "unit": "kelvin"}}'],
    ['one good call beside a bad one (all or nothing)', '[{"name": "lookup", "arguments": {"city": "Oslo"}}, {"name": "lookup", "arguments": {}}]'],
    ['arguments that are not an object', '{"name": "lookup", "arguments": "Oslo"}'],
    ['an unfinished call', '<tool_call>{"name": "lookup", "arguments": {"city": "Os'],
    ['JSON that is an answer, not a call', '{"name": "Oslo", "population": 709000}'],
    ['prose', 'The "name" of the harbour is Vippetangen.'],
  ])('%s', (_what, text) => {
    expect(recoverToolCalls(text, tools)).toBeUndefined();
  });
});

describe('recovery in the tool loop', () => {
  const agent = (choice?: 'none') =>
    defineAgent({ name: 'pilot', model: 'm', retries: 0, tools: [lookup], toolLoop: { maxRounds: 2 }, ...(choice ? { toolChoice: choice } : {}), prompt: (q: string) => q });

  it('runs a call written as text, marks it recovered, and sends it back as a structured call', async () => {
    const client = new ScriptedModelClient((_r, i) => (i === 0 ? 'Checking.\n<tool_call>\n{"name": "lookup", "arguments": {"city": "Oslo"}}\n</tool_call>' : 'Two harbours.'));
    const r = await createFlotilla({ client }).run(agent(), 'Oslo?').result;
    expect(r.status).toBe('succeeded');
    expect(r.output).toBe('Two harbours.');
    expect(r.trace.find((e) => e.type === 'tool.call')).toMatchObject({ tool: 'lookup', arguments: { city: 'Oslo' }, recovered: true });
    expect(r.trace.find((e) => e.type === 'tool.result')).toMatchObject({ ok: true, content: 'Oslo' });
    expect(client.requests[1]!.request.messages.slice(1)).toEqual([
      { role: 'assistant', content: 'Checking.', toolCalls: [recovered('lookup', { city: 'Oslo' })] },
      { role: 'tool', toolName: 'lookup', content: 'Oslo' },
    ]);
    expect(r.steps[0]?.call?.toolCalls).toBe(1);
  });

  it('a structured call is not marked recovered', async () => {
    const client = new ScriptedModelClient((_r, i) => (i === 0 ? { toolCalls: [{ name: 'lookup', arguments: { city: 'Oslo' } }] } : 'done'));
    const r = await createFlotilla({ client }).run(agent(), 'Oslo?').result;
    expect((r.trace.find((e) => e.type === 'tool.call') as ToolCallRunEvent).recovered).toBeUndefined();
  });

  it('with tool choice none, a call written as text is the answer', async () => {
    const text = '{"name": "lookup", "arguments": {"city": "Oslo"}}';
    const client = new ScriptedModelClient(() => text);
    const r = await createFlotilla({ client }).run(agent('none'), 'Oslo?').result;
    expect(r.output).toBe(text);
    expect(client.requests).toHaveLength(1);
  });
});
