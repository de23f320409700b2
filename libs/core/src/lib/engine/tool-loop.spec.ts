import { z } from 'zod';
import { ScriptedModelClient, type ScriptedReply } from '../../testing/scripted.model-client';
import { createFlotilla } from '../flotilla/create-flotilla';
import { defineAgent } from '../agents/agent-spec';
import { defineTool } from '../tools/tool';
import { defineChain } from '../steps/define-chain';
import { step } from '../steps/step-builders';
import { zodSchema } from '../schema/zod-schema';
import type { ToolLoopOptions } from '../agents/agent-options';
import type { ToolResultRunEvent } from '../events/run-event';
import type { ChatRequest } from '../model/chat-request';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const call = (name: string, args: Record<string, unknown>, id?: string) => ({ name, arguments: args, ...(id ? { id } : {}) });
/** Replies from a list in order; the last one repeats. */
const replies = (...list: (ScriptedReply | string)[]) => new ScriptedModelClient((_r, i) => list[Math.min(i, list.length - 1)]!);

const lookup = defineTool({
  name: 'lookup',
  description: 'Harbours of a city',
  input: z.object({ city: z.string(), limit: z.number().int().max(5) }),
  run: ({ city, limit }) => ({ city, harbours: Array.from({ length: limit }, (_, i) => `${city}-${i}`) }),
});

function agentWith(tools: Parameters<typeof defineAgent>[0]['tools'], toolLoop?: ToolLoopOptions, more: Partial<Parameters<typeof defineAgent>[0]> = {}) {
  return defineAgent({ name: 'sailor', model: 'm', retries: 0, tools, toolLoop, prompt: (q: string) => q, ...more });
}

describe('the tool loop', () => {
  it('runs a called tool with its parsed arguments and feeds the result back until the model answers', async () => {
    const client = replies({ toolCalls: [call('lookup', { city: 'Oslo', limit: 2 }, 'c1')] }, 'Oslo has two harbours.');
    const result = await createFlotilla({ client }).run(agentWith([lookup]), 'harbours of Oslo?').result;
    expect(result.status).toBe('succeeded');
    expect(result.output).toBe('Oslo has two harbours.');
    expect(client.requests).toHaveLength(2);
    expect(client.requests[0]!.request.tools).toEqual([{ name: 'lookup', description: 'Harbours of a city', parameters: expect.objectContaining({ type: 'object' }) }]);
    expect(client.requests[1]!.request.messages.slice(1)).toEqual([
      { role: 'assistant', content: '', toolCalls: [call('lookup', { city: 'Oslo', limit: 2 }, 'c1')] },
      { role: 'tool', toolName: 'lookup', toolCallId: 'c1', content: '{"city":"Oslo","harbours":["Oslo-0","Oslo-1"]}' },
    ]);
    const tools = result.trace.filter((e) => e.type === 'tool.call' || e.type === 'tool.result');
    expect(tools).toEqual([
      expect.objectContaining({ type: 'tool.call', key: '', round: 0, index: 0, tool: 'lookup', callId: 'c1', arguments: { city: 'Oslo', limit: 2 } }),
      expect.objectContaining({ type: 'tool.result', key: '', round: 0, index: 0, ok: true }),
    ]);
    expect(result.steps[0]!.call).toMatchObject({ toolRounds: 1, toolCalls: 1 });
    // The step's usage is every call of its loop (run summaries and reports add steps up).
    expect(result.steps[0]!.call!.usage).toEqual({ promptTokens: 8 + 24, completionTokens: 1 + 5 });
    expect(result.steps[0]!.call!.usage).toEqual(result.usage);
    // One affinity key for every call of the loop.
    expect(new Set(client.requests.map((r) => r.options?.conversation)).size).toBe(1);
  });

  it('runs the calls of one reply in parallel, bounded, and answers them in call order', async () => {
    let running = 0;
    let most = 0;
    const slow = defineTool({
      name: 'slow',
      input: z.object({ n: z.number() }),
      run: async ({ n }) => {
        most = Math.max(most, ++running);
        await sleep(30 - n * 5);
        running--;
        return `done ${n}`;
      },
    });
    const client = replies({ toolCalls: [1, 2, 3].map((n) => call('slow', { n })) }, 'ok');
    const result = await createFlotilla({ client }).run(agentWith([slow], { concurrency: 2 }), 'go').result;
    expect(result.status).toBe('succeeded');
    expect(most).toBe(2);
    expect(client.requests[1]!.request.messages.filter((m) => m.role === 'tool').map((m) => m.content)).toEqual(['done 1', 'done 2', 'done 3']);
  });

  it('feeds tool errors back to the model: a throw, invalid arguments, an unknown tool; never retried as an outage', async () => {
    let runs = 0;
    const flaky = defineTool({
      name: 'flaky',
      input: { type: 'object', properties: { x: { type: 'integer' } }, required: ['x'] },
      run: () => {
        runs++;
        throw new Error('disk on fire');
      },
    });
    const client = replies({ toolCalls: [call('flaky', { x: 1 }), call('flaky', { x: 'one' }), call('flakey', {})] }, 'sorry');
    const result = await createFlotilla({ client }).run(agentWith([flaky], { maxConsecutiveErrors: 4 }), 'go').result;
    expect(result.status).toBe('succeeded');
    expect(runs).toBe(1);
    const fed = client.requests[1]!.request.messages.filter((m) => m.role === 'tool').map((m) => m.content);
    expect(fed[0]).toMatch(/^Error: .*threw Error: disk on fire/);
    expect(fed[1]).toMatch(/^Error: invalid arguments for tool "flaky": \/x must be integer/);
    expect(fed[2]).toMatch(/^Error: there is no tool "flakey"; the tools are: flaky/);
    const results = result.trace.filter((e): e is ToolResultRunEvent => e.type === 'tool.result');
    expect(results.sort((a, b) => a.index - b.index).map((r) => [r.ok, r.error?.kind])).toEqual([
      [false, 'userCode'],
      [false, 'badOutput'],
      [false, 'badOutput'],
    ]);
    expect(result.trace.some((e) => e.type === 'retry')).toBe(false);
  });

  it('fails the step after N tool errors in a row, keeping the transcript', async () => {
    const broken = defineTool({ name: 'broken', input: z.object({}), run: () => Promise.reject(new Error('nope')) });
    const client = replies({ toolCalls: [call('broken', {})] });
    const result = await createFlotilla({ client }).run(agentWith([broken]), 'go').result;
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ kind: 'badOutput', retryable: false, message: expect.stringContaining('3 tool errors in a row') });
    expect(client.requests).toHaveLength(3);
    expect((result.error!.details!['transcript'] as unknown[]).length).toBe(6);
  });

  it('fails the step at the round cap with a typed error keeping the transcript', async () => {
    const client = replies({ toolCalls: [call('lookup', { city: 'Oslo', limit: 1 })] });
    const result = await createFlotilla({ client }).run(agentWith([lookup], { maxRounds: 2 }), 'go').result;
    expect(result.error).toMatchObject({ kind: 'budgetExceeded', details: { budget: 'toolLoop.maxRounds', limit: 2, rounds: 2 } });
    expect(client.requests).toHaveLength(3);
    expect((result.error!.details!['transcript'] as { role: string }[]).map((m) => m.role)).toEqual(['assistant', 'tool', 'assistant', 'tool', 'assistant']);
  });

  it("times a tool out on its own deadline, aborting its signal, and tells the model", async () => {
    let aborted = false;
    const stuck = defineTool({
      name: 'stuck',
      input: z.object({}),
      timeoutMs: 40,
      run: (_a, { signal }) => new Promise((_, reject) => signal.addEventListener('abort', () => ((aborted = true), reject(signal.reason)))),
    });
    const client = replies({ toolCalls: [call('stuck', {})] }, 'gave up');
    const result = await createFlotilla({ client }).run(agentWith([stuck]), 'go').result;
    expect(result.output).toBe('gave up');
    expect(aborted).toBe(true);
    expect(result.trace.find((e) => e.type === 'tool.result')).toMatchObject({ ok: false, error: { kind: 'timeout', details: { deadline: 'tool', limitMs: 40 } } });
  });

  it('fails the step with userCode naming the tool when its result cannot be serialised', async () => {
    const big = defineTool({ name: 'big', input: z.object({}), run: () => ({ n: 10n }) });
    const result = await createFlotilla({ client: replies({ toolCalls: [call('big', {})] }, 'x') }).run(agentWith([big]), 'go').result;
    expect(result.error).toMatchObject({ kind: 'userCode', details: { tool: 'big' }, message: expect.stringContaining('tool "big"') });
  });

  it('caps a result: cut with a marker, or a tool error when the tool says so', async () => {
    const long = defineTool({ name: 'long', input: z.object({}), maxResultChars: 100, run: () => 'a'.repeat(500) });
    const strict = defineTool({ name: 'strict', input: z.object({}), maxResultChars: 100, onOversize: 'fail', run: () => 'b'.repeat(500) });
    const client = replies({ toolCalls: [call('long', {}), call('strict', {})] }, 'ok');
    const result = await createFlotilla({ client }).run(agentWith([long, strict]), 'go').result;
    const [cut, failed] = client.requests[1]!.request.messages.filter((m) => m.role === 'tool').map((m) => m.content);
    expect(cut!.length).toBeLessThanOrEqual(100);
    expect(cut).toMatch(/^a+\n\[truncated: the first 100 of 500 characters are shown\]$/);
    expect(failed).toMatch(/^Error: tool "strict" returned 500 characters, over its cap of 100/);
    expect(result.trace.find((e) => e.type === 'tool.result')).toMatchObject({ truncated: { total: 500 } });
  });

  it('cancelling the run while a tool runs aborts the tool and sends nothing more', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let abortedWith: unknown;
    const wait = defineTool({
      name: 'wait',
      input: z.object({}),
      run: (_a, { signal }) =>
        new Promise((_, reject) => {
          started();
          signal.addEventListener('abort', () => reject((abortedWith = signal.reason)));
        }),
    });
    const client = replies({ toolCalls: [call('wait', {})] }, 'never');
    const run = createFlotilla({ client }).run(agentWith([wait]), 'go');
    await running;
    await run.cancel();
    const result = await run.result;
    expect(result.status).toBe('cancelled');
    expect(abortedWith).toBeDefined();
    expect(client.requests).toHaveLength(1);
  });

  it('releases the model slot while tools run', async () => {
    const seen: number[] = [];
    const client = new ScriptedModelClient((r) => (r.messages.some((m) => m.role === 'tool') ? 'done' : { toolCalls: [call('hold', {})] }));
    const hold = defineTool({ name: 'hold', input: z.object({}), run: () => sleep(10).then(() => (seen.push(client.requests.length), sleep(10))).then(() => 'held') });
    const agent = agentWith([hold], undefined, { concurrency: 1 });
    const chain = defineChain('two', step.fanOut({ over: (xs: string[]) => xs, step: step.call(agent) }));
    const result = await createFlotilla({ client }).run(chain, ['a', 'b']).result;
    expect(result.status).toBe('succeeded');
    // Under a one-call limit, the second item's first call went out while the first item's tool ran.
    expect(seen).toEqual([2, 2]);
    expect(client.maxInFlight).toBe(1);
  });

  it('bounds the whole loop by its deadline', async () => {
    const slow = defineTool({ name: 'slow', input: z.object({}), run: () => sleep(30).then(() => 'late') });
    const client = replies({ toolCalls: [call('slow', {})] });
    const result = await createFlotilla({ client }).run(agentWith([slow], { deadlineMs: 80, maxRounds: 100 }), 'go').result;
    expect(result.error).toMatchObject({ kind: 'timeout', retryable: false, details: { deadline: 'toolLoop', limitMs: 80 } });
  });

  it('gets structured output without ever sending format together with tools', async () => {
    const schema = zodSchema(z.object({ count: z.number() }));
    const client = replies({ toolCalls: [call('lookup', { city: 'Oslo', limit: 2 })] }, 'There are two.', '{"count":2}');
    const agent = defineAgent({ name: 'counter', model: 'm', tools: [lookup], output: schema, prompt: (q: string) => q });
    const result = await createFlotilla({ client }).run(agent, 'how many?').result;
    expect(result.output).toEqual({ count: 2 });
    expect(result.steps[0]!.call!.usage).toEqual(result.usage);
    const sent = client.requests.map((r: { request: ChatRequest }) => [r.request.tools !== undefined, r.request.format !== undefined]);
    expect(sent).toEqual([
      [true, false],
      [true, false],
      [false, true],
    ]);
    expect(client.requests[2]!.request.messages.at(-2)).toEqual({ role: 'assistant', content: 'There are two.' });
  });

  it('takes a structured answer given under tools when it already fits (no extra call)', async () => {
    const agent = defineAgent({ name: 'counter', model: 'm', tools: [lookup], output: zodSchema(z.object({ count: z.number() })), prompt: (q: string) => q });
    const client = replies('{"count":7}');
    const result = await createFlotilla({ client }).run(agent, 'how many?').result;
    expect(result.output).toEqual({ count: 7 });
    expect(client.requests).toHaveLength(1);
  });

  it('sends the agent tool choice on the first call only', async () => {
    const client = replies({ toolCalls: [call('lookup', { city: 'Oslo', limit: 1 })] }, 'ok');
    await createFlotilla({ client }).run(agentWith([lookup], undefined, { toolChoice: { name: 'lookup' } }), 'go').result;
    expect(client.requests.map((r) => r.request.toolChoice)).toEqual([{ name: 'lookup' }, undefined]);
  });

  it('a reply with tool calls for an agent without tools is a typed error, not output ""', async () => {
    const client = replies({ toolCalls: [call('lookup', { city: 'Oslo' })] });
    const result = await createFlotilla({ client }).run(agentWith(undefined), 'go').result;
    expect(result.error).toMatchObject({ kind: 'badOutput', message: expect.stringContaining('has no tools, but the model called "lookup"') });
  });

  it('finds tools by name and reports an unknown name with the closest one', () => {
    const flotilla = createFlotilla({ client: replies('x'), tools: [lookup] });
    expect(() => flotilla.validate(defineChain('ok', step.call(agentWith(['lookup']))))).not.toThrow();
    const bad = defineAgent({ name: 'bad', model: 'm', tools: ['lokup'], prompt: (q: string) => q });
    expect(() => flotilla.validate(defineChain('bad', step.call(bad)))).toThrow(/unknown tool "lokup" \(did you mean "lookup"\?\)/);
  });
});
