import { newRunId } from './run-id';
import { z } from 'zod';
import { Container, inject, injectable } from 'inversify';
import { lastValueFrom, toArray } from 'rxjs';
import { Agent } from '../agents/agent.decorator';
import type { FlotillaAgent } from '../agents/agent-options';
import { defineAgent } from '../agents/agent-spec';
import { createFlotilla } from '../flotilla/create-flotilla';
import { FlotillaError } from '../errors/flotilla-error';
import type { ChatMessage } from '../model/chat-message';
import type { FlotillaConfig } from '../di/flotilla-config';
import { zodSchema } from '../schema/zod-schema';
import { ScriptedModelClient, type ScriptFn } from '../../testing/scripted.model-client';
import { defineChain } from '../steps/define-chain';
import { step } from '../steps/step-builders';
import type { RunEvent } from '../events/run-event';
import { outputOf } from './output-of';

const Plan = zodSchema(z.object({ steps: z.array(z.string()) }));

const planner = defineAgent({
  name: 'planner',
  role: 'manager',
  model: 'plan-model',
  output: Plan,
  retries: 2,
  prompt: (objective: string) => `plan: ${objective}`,
});

const doer = defineAgent({
  name: 'doer',
  role: 'worker',
  model: 'work-model',
  retries: 1,
  prompt: (task: string) => `do: ${task}`,
  result: (text: string) => text.toUpperCase(),
});

const lastUser = (m: readonly ChatMessage[]) => [...m].reverse().find((x) => x.role === 'user')!.content;

function flotillaWith(script: ScriptFn, config: FlotillaConfig = {}) {
  const client = new ScriptedModelClient(script);
  const flotilla = createFlotilla({ client, config: { ...config, engine: { retryBaseDelayMs: 1, retryMaxDelayMs: 2, ...config.engine } } });
  return { client, flotilla };
}

const planStep = step.call(planner, { id: 'plan' });
const planThenDo = defineChain('plan-then-do', step.sequence(planStep, step.fanOut({ id: 'do', over: (plan) => plan.steps, step: step.call(doer), concurrency: 2 })));

describe('the engine through createFlotilla', () => {
  it('runs a sequence with a structured call and an ordered fan-out', async () => {
    const { flotilla, client } = flotillaWith((req) => (req.model === 'plan-model' ? JSON.stringify({ steps: ['a', 'b', 'c'] }) : `did ${lastUser(req.messages).slice(4)}`));
    const result = await flotilla.run(planThenDo, 'build it').result;
    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual(['DID A', 'DID B', 'DID C']);
    expect(result.modelCalls).toBe(4);
    expect(client.requests[0]!.request.format).toEqual(Plan.jsonSchema);
    expect(client.requests[0]!.request.messages).toEqual([{ role: 'user', content: 'plan: build it' }]);
    expect(client.requests.map((r) => r.options?.agent)).toEqual(['planner', 'doer', 'doer', 'doer']);
    expect(outputOf(result, planStep)).toEqual({ steps: ['a', 'b', 'c'] });
  });

  it('gives every step a key from its position, and events, results and trace use it', async () => {
    const { flotilla } = flotillaWith((req) => (req.model === 'plan-model' ? '{"steps":["x","y"]}' : 'ok'));
    const run = flotilla.run(planThenDo, 'go');
    const events = await lastValueFrom(run.events.pipe(toArray()));
    const starts = events.filter((e) => e.type === 'step.start');
    expect(starts.map((e) => [e.key, e.parentKey, e.kind, e.name])).toEqual([
      ['', undefined, 'sequence', 'sequence'],
      ['plan', '', 'call', 'plan'],
      ['do', '', 'fanOut', 'do'],
      ['do/step[0]', 'do', 'call', 'doer'],
      ['do/step[1]', 'do', 'call', 'doer'],
    ]);
    expect(starts.filter((e) => e.agent === 'doer').map((e) => e.index)).toEqual([0, 1]);
    const result = await run.result;
    expect(result.steps.map((s) => s.key).sort()).toEqual(['', 'do', 'do/step[0]', 'do/step[1]', 'plan']);
    const end = events.at(-1)!;
    if (end.type !== 'run.end') throw new Error('no run.end');
    expect(end.result.trace).toEqual(events.filter((e) => e.type !== 'token' && e.type !== 'run.end'));
  });

  it('gives identical keys to runs that take the same decisions, whatever order calls finish in', async () => {
    // A fan-out over 3 items of 2 sequential calls, with latencies reversed between runs.
    const first = defineAgent({ name: 'first', model: 'm', prompt: (s: string) => `1 ${s}` });
    const second = defineAgent({ name: 'second', model: 'm', prompt: (s: string) => `2 ${s}` });
    const chain = defineChain('fan', step.fanOut({ over: (items: string[]) => items, step: step.sequence(step.call(first), step.call(second)), concurrency: 3 }));
    const keysOf = async (delay: (item: number) => number) => {
      const { flotilla } = flotillaWith((req) => {
        const item = Number(/(\d)$/.exec(lastUser(req.messages))![1]);
        return { text: `x ${item}`, firstTokenDelayMs: delay(item) };
      });
      const result = await flotilla.run(chain, ['0', '1', '2']).result;
      expect(result.status).toBe('succeeded');
      return { completion: result.steps.map((s) => s.key), keys: result.trace.filter((e) => e.type === 'step.start').map((e) => (e as { key: string }).key).sort() };
    };
    const fastFirst = await keysOf((i) => 5 + i * 15);
    const slowFirst = await keysOf((i) => 5 + (2 - i) * 15);
    expect(fastFirst.completion).not.toEqual(slowFirst.completion); // the calls really finished in other orders
    expect(fastFirst.keys).toEqual(slowFirst.keys);
    expect(fastFirst.keys).toEqual(['', 'step[0]', 'step[0]/0', 'step[0]/1', 'step[1]', 'step[1]/0', 'step[1]/1', 'step[2]', 'step[2]/0', 'step[2]/1']);
  });

  it('a retry keeps its step key and carries its attempt number separately', async () => {
    let n = 0;
    const { flotilla } = flotillaWith(() => (n++ === 0 ? { error: new FlotillaError('overloaded', 'busy') } : 'ok'));
    const result = await flotilla.run(doer, 'x').result;
    expect(result.status).toBe('succeeded');
    const retry = result.trace.find((e) => e.type === 'retry');
    expect(retry).toMatchObject({ key: '', attempt: 1 });
    expect(result.steps[0]).toMatchObject({ key: '', call: { attempts: 2 } });
  });

  it('makes run ids that are time-ordered UUIDs, unique across runs, or takes the caller\'s', async () => {
    const { flotilla } = flotillaWith(() => 'ok');
    const ids = [flotilla.run(doer, 'a').runId, flotilla.run(doer, 'b').runId];
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ids[0]).not.toBe(ids[1]);
    // Ordered by start time, across the millisecond-prefix cache; the time part decodes back.
    const [early, late, later] = [newRunId(1_700_000_000_000), newRunId(1_700_000_000_001), newRunId(1_800_000_000_000)];
    expect([later, early, late].sort()).toEqual([early, late, later]);
    expect(parseInt(late.slice(0, 8) + late.slice(9, 13), 16)).toBe(1_700_000_000_001);
    const mine = flotilla.run(doer, 'c', { runId: 'ticket-42' });
    expect(mine.runId).toBe('ticket-42');
    expect((await mine.result).runId).toBe('ticket-42');
  });
});

describe('the run handle', () => {
  const slowPlan = (): ScriptFn => (req) => (req.model === 'plan-model' ? { text: '{"steps":["a","b"]}', firstTokenDelayMs: 20 } : { text: 'w', firstTokenDelayMs: 20 });

  it('starts the run whether or not anyone listens, and its result resolves', async () => {
    const { flotilla, client } = flotillaWith(slowPlan());
    const run = flotilla.run(planThenDo, 'x');
    expect(client.requests).toHaveLength(1); // the planner was called before anyone subscribed
    expect((await run.result).status).toBe('succeeded');
  });

  it('a late subscriber receives the events so far (run.start and every step event), then the live ones', async () => {
    const { flotilla } = flotillaWith(slowPlan());
    const run = flotilla.run(planThenDo, 'x');
    const early = lastValueFrom(run.events.pipe(toArray()));
    await new Promise((r) => setTimeout(r, 30)); // the planner has finished, the workers run
    const late = await lastValueFrom(run.events.pipe(toArray()));
    const all = await early;
    const withoutTokens = (es: RunEvent[]) => es.filter((e) => e.type !== 'token');
    expect(late[0]!.type).toBe('run.start');
    expect(withoutTokens(late)).toEqual(withoutTokens(all));
    // After the end: the whole trace again, ending with run.end (the handle holds no buffer of its own).
    const after = await lastValueFrom(run.events.pipe(toArray()));
    expect(after.map((e) => e.type)).toEqual(withoutTokens(all).map((e) => e.type));
  });

  it('iterates its events with for await', async () => {
    const { flotilla } = flotillaWith(slowPlan());
    const types: string[] = [];
    for await (const e of flotilla.run(planThenDo, 'x')) types.push(e.type);
    expect(types[0]).toBe('run.start');
    expect(types.at(-1)).toBe('run.end');
    expect(types.filter((t) => t === 'step.end')).toHaveLength(5);
  });

  it('never rejects its result: a failed run resolves with status failed', async () => {
    const { flotilla } = flotillaWith(() => ({ error: new FlotillaError('modelNotFound', 'gone') }));
    const result = await flotilla.run(planThenDo, 'x').result;
    expect(result.status).toBe('failed');
    expect(result.error!.kind).toBe('modelNotFound');
  });

  it('cancel() resolves once every in-flight call is aborted, with status cancelled', async () => {
    const { flotilla, client } = flotillaWith((req) => (req.model === 'plan-model' ? '{"steps":["a","b","c","d"]}' : { text: 'slow', firstTokenDelayMs: 10_000 }));
    const run = flotilla.run(planThenDo, 'x');
    await new Promise((r) => setTimeout(r, 10));
    expect(client.inFlight).toBe(2);
    await run.cancel();
    expect(client.inFlight).toBe(0);
    expect(client.requests.filter((r) => r.cancelled)).toHaveLength(2);
    const result = await run.result;
    expect(result.status).toBe('cancelled');
    expect(result.error!.kind).toBe('aborted');
    expect(result.steps.map((s) => s.key)).toContain('plan');
  });

  it('close() cancels runs in flight and closes the client', async () => {
    const client = Object.assign(new ScriptedModelClient(() => ({ text: 'x', hang: true })), { closed: 0, close: async () => void client.closed++ });
    const flotilla = createFlotilla({ client });
    const run = flotilla.run(doer, 'x');
    await flotilla[Symbol.asyncDispose]();
    expect((await run.result).status).toBe('cancelled');
    expect(client.closed).toBe(1);
    expect(() => flotilla.run(doer, 'y')).toThrow(/not closed/);
  });

  it('close() closes the closeables it was given, after cancelling runs and before the client, once', async () => {
    const order: string[] = [];
    const client = Object.assign(new ScriptedModelClient(() => ({ text: 'x', hang: true })), { close: async () => void order.push('client') });
    const flotilla = createFlotilla({ client, closeables: [{ close: async () => void order.push('mcp') }] });
    const run = flotilla.run(doer, 'x');
    run.result.then(() => order.push('run ended'), () => undefined);
    await Promise.all([flotilla.close(), flotilla.close()]);
    expect(order).toEqual(['run ended', 'mcp', 'client']);
    expect(() => createFlotilla({ client, closeables: [{} as never] })).toThrow(/closeables/);
  });
});

describe('the engine: calls, retries, deadlines, budgets', () => {
  it('retries invalid structured output with the validation error fed back', async () => {
    const { flotilla, client } = flotillaWith((req, i) => (i === 0 ? '{"steps": "not a list"}' : req.model === 'plan-model' ? '{"steps":["a"]}' : 'ok'));
    const result = await flotilla.run(planThenDo, 'x').result;
    expect(result.status).toBe('succeeded');
    const second = client.requests[1]!.request.messages;
    expect(second.at(-2)).toEqual({ role: 'assistant', content: '{"steps": "not a list"}' });
    expect(second.at(-1)!.content).toMatch(/did not match the required JSON Schema: [\s\S]*steps/);
    expect(result.trace.filter((e) => e.type === 'retry')).toHaveLength(1);
  });

  it('ends with badOutput carrying the raw reply once the budget is spent, keeping completed steps', async () => {
    const seq = defineChain('two', step.sequence(step.call(doer, { input: () => 'first' }), step.call(planner, { input: () => 'p' })));
    const { flotilla, client } = flotillaWith((req) => (req.model === 'plan-model' ? 'I refuse to answer in JSON' : 'fine'));
    const result = await flotilla.run(seq, 'x').result;
    expect(result.status).toBe('failed');
    expect(result.error!.kind).toBe('badOutput');
    expect(result.error!.details!['raw']).toBe('I refuse to answer in JSON');
    expect(client.requests.filter((r) => r.request.model === 'plan-model')).toHaveLength(3); // 1 + 2 retries
    expect(result.steps.find((s) => s.call?.agent === 'doer')!.output).toBe('FINE');
  });

  it('retries transient errors with backoff but not permanent ones', async () => {
    let n = 0;
    const r1 = await flotillaWith(() => (n++ === 0 ? { error: new FlotillaError('overloaded', 'busy') } : 'ok')).flotilla.run(doer, 'x').result;
    expect(r1.status).toBe('succeeded');
    expect(r1.steps[0]!.call!.attempts).toBe(2);
    const { flotilla: f2, client: c2 } = flotillaWith(() => ({ error: new FlotillaError('modelNotFound', 'no such model') }));
    const r2 = await f2.run(doer, 'x').result;
    expect(r2.error!.kind).toBe('modelNotFound');
    expect(c2.requests).toHaveLength(1);
  });

  it('times out on the first token and on a stall, separately', async () => {
    const slow = defineAgent({ name: 'slow', model: 'm', retries: 0, timeouts: { firstTokenMs: 30, stallMs: 30, totalMs: 1000 }, prompt: (s: string) => s });
    const { flotilla } = flotillaWith((req) => (lastUser(req.messages) === 'late' ? { text: 'x', firstTokenDelayMs: 200 } : { text: 'abcdef', chunks: 3, interTokenDelayMs: 200 }));
    expect((await flotilla.run(slow, 'late').result).error).toMatchObject({ kind: 'timeout', details: { deadline: 'firstToken' } });
    expect((await flotilla.run(slow, 'stall').result).error).toMatchObject({ kind: 'timeout', details: { deadline: 'stall' } });
  });

  it('extends the first-token deadline while a model loads, and never retries a timeout during the load', async () => {
    const cold = defineAgent({ name: 'cold', model: 'm', retries: 3, timeouts: { firstTokenMs: 40, totalMs: 5000 }, prompt: (s: string) => s });
    const { flotilla, client } = flotillaWith((req) =>
      lastUser(req.messages) === 'ok' ? { text: 'hi', loadingMs: 60, firstTokenDelayMs: 10 } : { text: 'hi', loadingMs: 10, firstTokenDelayMs: 200 },
    );
    expect((await flotilla.run(cold, 'ok').result).status).toBe('succeeded');
    const stuck = await flotilla.run(cold, 'stuck').result;
    expect(stuck.error).toMatchObject({ kind: 'timeout', retryable: false, details: { phase: 'loading' } });
    expect(client.requests.filter((r) => lastUser(r.request.messages) === 'stuck')).toHaveLength(1);
  });

  it('cancels every in-flight request when the signal aborts', async () => {
    const { flotilla, client } = flotillaWith((req) => (req.model === 'plan-model' ? '{"steps":["a","b","c","d"]}' : { text: 'slow', firstTokenDelayMs: 10_000 }));
    const controller = new AbortController();
    const run = flotilla.run(planThenDo, 'x', { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    const result = await run.result;
    expect(result.status).toBe('cancelled');
    expect(client.inFlight).toBe(0);
    expect(client.requests).toHaveLength(3); // no step started after the cancel
  });

  it('ends with budgetExceeded on the run deadline, max model calls and max tokens, keeping completed steps', async () => {
    const script: ScriptFn = (req) => (req.model === 'plan-model' ? '{"steps":["a","b","c"]}' : { text: 'w', firstTokenDelayMs: 5 });
    const calls = await flotillaWith(script).flotilla.run(planThenDo, 'x', { maxModelCalls: 2 }).result;
    expect(calls.error).toMatchObject({ kind: 'budgetExceeded', details: { budget: 'maxModelCalls' } });
    expect(calls.steps.some((s) => s.key === 'plan')).toBe(true);
    const deadline = await flotillaWith((req) => (req.model === 'plan-model' ? '{"steps":["a"]}' : { text: 'w', firstTokenDelayMs: 500 })).flotilla.run(planThenDo, 'x', { deadlineMs: 50 }).result;
    expect(deadline.error).toMatchObject({ kind: 'budgetExceeded', details: { budget: 'deadlineMs' } });
    expect(deadline.steps.find((s) => s.key === 'plan')!.output).toEqual({ steps: ['a'] });
    const tokens = await flotillaWith((req) => (req.model === 'plan-model' ? { text: '{"steps":["a","b"]}', usage: { promptTokens: 50, completionTokens: 60 } } : 'w')).flotilla.run(planThenDo, 'x', { maxTokens: 100 }).result;
    expect(tokens.error).toMatchObject({ kind: 'budgetExceeded', details: { budget: 'maxTokens' } });
  });

  it('shares one run-wide concurrency budget across nested fan-outs', async () => {
    const nested = defineChain('nested', step.fanOut({ over: () => [1, 2, 3, 4], concurrency: 4, step: step.fanOut({ over: () => ['a', 'b', 'c', 'd'], concurrency: 4, step: step.call(doer, { input: () => 't' }) }) }));
    const { flotilla, client } = flotillaWith(() => ({ text: 'x', firstTokenDelayMs: 5 }), { engine: { runConcurrency: 3 } });
    expect((await flotilla.run(nested, null).result).status).toBe('succeeded');
    expect(client.requests).toHaveLength(16);
    expect(client.maxInFlight).toBe(3);
  });

  it('honours a per-agent concurrency limit across runs', async () => {
    const { flotilla, client } = flotillaWith(() => ({ text: 'x', firstTokenDelayMs: 5 }), { agents: { doer: { concurrency: 2 } } });
    await Promise.all([1, 2, 3, 4, 5].map(() => flotilla.run(doer, 'x').result));
    expect(client.maxInFlight).toBe(2);
  });

  it('runs a review loop until `until` holds, and branches with if / else', async () => {
    const judge = defineAgent({
      name: 'judge',
      role: 'reviewer',
      model: 'judge-model',
      output: zodSchema(z.object({ approve: z.boolean() })),
      prompt: (args: { artifact: string }) => `judge: ${args.artifact}`,
    });
    const chain = defineChain(
      'loop',
      step.sequence(
        step.reviewLoop(step.call(doer), step.call(judge), step.call(doer, { input: (v) => `${v.artifact}+` }), { id: 'loop', until: (v) => v.approve, maxRounds: 5 }),
        step.branch({ if: (o) => o.approved, then: step.map(() => 'shipped'), else: step.map(() => 'rejected') }),
      ),
    );
    const { flotilla } = flotillaWith((req) => {
      const u = lastUser(req.messages);
      if (req.model === 'judge-model') return JSON.stringify({ approve: u.endsWith('++') });
      return u.slice(4);
    });
    const result = await flotilla.run(chain, 'v').result;
    expect(result.output).toBe('shipped');
    const loop = result.steps.find((s) => s.key === 'loop')!.output as { rounds: unknown[]; artifact: string };
    expect(loop.rounds).toHaveLength(3);
    expect(loop.artifact).toBe('V++');
    expect(result.steps.map((s) => s.key).filter((k) => k.startsWith('loop/'))).toEqual([
      'loop/work',
      'loop/review#0',
      'loop/revise#1',
      'loop/review#1',
      'loop/revise#2',
      'loop/review#2',
    ]);
  });

  it('fails before running anything when a chain names an unknown agent, suggesting the closest', async () => {
    const { flotilla, client } = flotillaWith(() => 'x');
    const result = await flotilla.run(defineChain('bad', step.sequence(step.call(doer), step.call('planer'))), 'x').result;
    expect(result.status).toBe('failed');
    expect(result.error!.kind).toBe('config');
    expect(result.error!.message).toMatch(/unknown agent "planer"/);
    expect(result.error!.message).toMatch(/step "1"/);
    expect(client.requests).toHaveLength(0);
    // Agents named in createFlotilla({ agents }) are found by name, with a did-you-mean otherwise.
    const named = createFlotilla({ client: new ScriptedModelClient(() => 'x'), agents: [planner] });
    const miss = await named.run(defineChain('bad', step.call('planer')), 'x').result;
    expect(miss.error!.message).toMatch(/did you mean "planner"/);
  });

  it('rejects invalid run options and agent options with typed errors', async () => {
    const { flotilla } = flotillaWith(() => 'x');
    const bad = await flotilla.run(planThenDo, 'x', { maxTokens: -1 }).result;
    expect(bad.error).toMatchObject({ kind: 'config', message: expect.stringMatching(/maxTokens/) });
    const broken = defineAgent({ name: 'broken', model: 'm', retries: -1, prompt: () => '' });
    expect((await flotilla.run(broken, 'x').result).error!.message).toMatch(/retries: expected a whole number/);
    const sameName = defineAgent({ name: 'doer', model: 'other', prompt: () => '' });
    const clash = await flotilla.run(defineChain('c', step.sequence(step.call(doer), step.call(sameName))), 'x').result;
    expect(clash.error!.message).toMatch(/two different agents are named "doer"/);
  });

  it('resolves models in order: configuration, then the agent, then defaults', async () => {
    const anon = defineAgent({ name: 'anon', role: 'worker', prompt: (s: string) => s });
    const { flotilla, client } = flotillaWith(() => 'x', { agents: { doer: { model: 'configured' } }, defaults: { roles: { worker: 'role-default' } } });
    await flotilla.run(defineChain('c', step.sequence(step.call(doer), step.call(anon))), 'x').result;
    expect(client.requests.map((r) => r.request.model)).toEqual(['configured', 'role-default']);
    const r = await flotillaWith(() => 'x').flotilla.run(anon, 'x').result;
    expect(r.error!.message).toMatch(/agents\.anon\.model/);
  });
});

describe('agents as classes', () => {
  it('an @Agent class produces the same kind of agent, and receives services from the user\'s container', async () => {
    @injectable()
    class Clock {
      today(): string {
        return '2026-12-02';
      }
    }
    @Agent({ name: 'diarist', model: 'diary:1b' })
    class DiaristAgent implements FlotillaAgent<string, string[]> {
      constructor(@inject(Clock) private readonly clock: Clock) {}
      prompt(topic: string): ChatMessage[] {
        return [{ role: 'user', content: `${this.clock.today()}: a diary line about ${topic}` }];
      }
      result(text: string): string[] {
        return text.split(' / ');
      }
    }
    const services = new Container();
    services.bind(Clock).toSelf();
    const client = new ScriptedModelClient(() => 'dear diary / frogs');
    const flotilla = createFlotilla({ client, container: services });
    const chain = defineChain('diary', step.call(DiaristAgent));
    const result = await flotilla.run(chain, 'frogs').result;
    expect(result.output).toEqual(['dear diary', 'frogs']);
    expect(client.requests[0]!.request).toMatchObject({ model: 'diary:1b', messages: [{ role: 'user', content: '2026-12-02: a diary line about frogs' }] });
  });
});

describe('failover retries', () => {
  it('retries a router-marked failover at once (no backoff), drawing on the agent budget', async () => {
    let n = 0;
    const client = new ScriptedModelClient(() => (n++ === 0 ? { error: new FlotillaError('unavailable', 'endpoint a refused', { details: { endpoint: 'a', failover: true } }) } : 'ok'));
    const flotilla = createFlotilla({ client, config: { engine: { retryBaseDelayMs: 5_000, retryMaxDelayMs: 5_000 } } });
    const started = Date.now();
    const result = await flotilla.run(doer, 'x').result;
    expect(result.status).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result.trace.find((e) => e.type === 'retry')).toMatchObject({ attempt: 1, delayMs: 0 });
  });
});
