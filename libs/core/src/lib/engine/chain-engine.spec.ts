import { z } from 'zod';
import { Container } from 'inversify';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { Agent } from '../agents/agent.decorator';
import type { AgentClass, FlotillaAgent } from '../agents/agent-options';
import { createFlotillaContainer } from '../di/create-container';
import { TOKENS } from '../di/tokens';
import { FlotillaError } from '../errors/flotilla-error';
import type { ChatMessage } from '../model/chat-message';
import { zodSchema } from '../schema/zod-schema';
import { ScriptedModelClient, type ScriptFn } from '../../testing/scripted.model-client';
import type { ChainEngine } from './chain-engine';
import { defineChain, step } from './steps';

const Plan = zodSchema(z.object({ steps: z.array(z.string()) }));

@Agent({ name: 'planner', role: 'manager', model: 'plan-model', output: Plan, retries: 2 })
class Planner implements FlotillaAgent<string, { steps: string[] }> {
  prompt(objective: string): ChatMessage[] {
    return [{ role: 'user', content: `plan: ${objective}` }];
  }
}

@Agent({ name: 'doer', role: 'worker', model: 'work-model', retries: 1 })
class Doer implements FlotillaAgent<string, string> {
  prompt(task: string): ChatMessage[] {
    return [{ role: 'user', content: `do: ${task}` }];
  }
  result(text: unknown): string {
    return String(text).toUpperCase();
  }
}

const lastUser = (m: ChatMessage[]) => [...m].reverse().find((x) => x.role === 'user')!.content;

function engineWith(script: ScriptFn, agents: AgentClass[] = [Planner, Doer], config = {}) {
  const client = new ScriptedModelClient(script);
  const container = createFlotillaContainer({ client, agents, config: { engine: { retryBaseDelayMs: 1, retryMaxDelayMs: 2 }, ...config } });
  return { client, engine: container.get(TOKENS.ChainEngine), container };
}

const planThenDo = defineChain<string, string[]>(
  'plan-then-do',
  step.sequence([
    step.call(Planner, { as: 'plan' }),
    step.fanOut({ items: (plan) => (plan as { steps: string[] }).steps, step: step.call(Doer), concurrency: 2 }),
  ]),
);

describe('ChainEngine', () => {
  it('runs a sequence with a structured call and an ordered fan-out', async () => {
    const { engine, client } = engineWith((req) =>
      req.model === 'plan-model' ? JSON.stringify({ steps: ['a', 'b', 'c'] }) : `did ${lastUser(req.messages).slice(4)}`,
    );
    const result = await engine.run(planThenDo, 'build it');
    expect(result.status).toBe('succeeded');
    expect(result.output).toEqual(['DID A', 'DID B', 'DID C']);
    expect(result.modelCalls).toBe(4);
    expect(client.requests[0]!.request.format).toEqual(Plan.jsonSchema);
    expect(client.requests.map((r) => r.options?.agent)).toEqual(['planner', 'doer', 'doer', 'doer']);
    const calls = result.steps.filter((s) => s.call);
    expect(calls.map((s) => s.call!.agent)).toEqual(['planner', 'doer', 'doer', 'doer']);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
  });

  it('emits a well-formed event stream: ids, parent ids, start before end, run.end last', async () => {
    const { engine } = engineWith((req) => (req.model === 'plan-model' ? '{"steps":["x","y"]}' : 'ok'));
    const events = await lastValueFrom(engine.run$(planThenDo, 'go').pipe(toArray()));
    expect(events[0]!.type).toBe('run.start');
    expect(events.at(-1)!.type).toBe('run.end');
    const started = new Map<string, string | undefined>();
    for (const e of events) {
      if (e.type === 'step.start') started.set(e.id, e.parentId);
      if (e.type === 'step.end') expect(started.has(e.id)).toBe(true);
    }
    const runId = events[0]!.runId;
    const fanOutStart = events.find((e) => e.type === 'step.start' && e.kind === 'fanOut')!;
    const doerStarts = events.filter((e) => e.type === 'step.start' && e.agent === 'doer');
    expect(doerStarts.every((e) => e.parentId === fanOutStart.id)).toBe(true);
    expect(events.filter((e) => e.type === 'step.start' && e.kind === 'sequence')[0]!.parentId).toBe(runId);
    const end = events.at(-1)!;
    if (end.type !== 'run.end') throw new Error('no run.end');
    expect(end.result.trace).toEqual(events.filter((e) => e.type !== 'token' && e.type !== 'run.end'));
  });

  it('retries invalid structured output with the validation error fed back', async () => {
    const { engine, client } = engineWith((req, i) => (i === 0 ? '{"steps": "not a list"}' : req.model === 'plan-model' ? '{"steps":["a"]}' : 'ok'));
    const result = await engine.run(planThenDo, 'x');
    expect(result.status).toBe('succeeded');
    const second = client.requests[1]!.request.messages;
    expect(second.at(-2)).toEqual({ role: 'assistant', content: '{"steps": "not a list"}' });
    expect(second.at(-1)!.content).toMatch(/did not match the required JSON Schema: [\s\S]*steps/);
    expect(result.trace.filter((e) => e.type === 'retry')).toHaveLength(1);
  });

  it('ends with badOutput carrying the raw reply once the budget is spent, keeping completed steps', async () => {
    const seq = defineChain('two', step.sequence([step.call(Doer, { input: () => 'first' }), step.call(Planner)]));
    const { engine, client } = engineWith((req) => (req.model === 'plan-model' ? 'I refuse to answer in JSON' : 'fine'));
    const result = await engine.run(seq, 'x');
    expect(result.status).toBe('failed');
    expect(result.error!.kind).toBe('badOutput');
    expect(result.error!.details!['raw']).toBe('I refuse to answer in JSON');
    expect(client.requests.filter((r) => r.request.model === 'plan-model')).toHaveLength(3); // 1 + 2 retries
    expect(result.steps.find((s) => s.call?.agent === 'doer')!.output).toBe('FINE');
  });

  it('retries transient errors with backoff but not permanent ones', async () => {
    let n = 0;
    const { engine } = engineWith(() => (n++ === 0 ? { error: new FlotillaError('overloaded', 'busy') } : 'ok'));
    const r1 = await engine.run(defineChain('one', step.call(Doer)), 'x');
    expect(r1.status).toBe('succeeded');
    expect(r1.steps[0]!.call!.attempts).toBe(2);

    const { engine: e2, client: c2 } = engineWith(() => ({ error: new FlotillaError('modelNotFound', 'no such model') }));
    const r2 = await e2.run(defineChain('one', step.call(Doer)), 'x');
    expect(r2.error!.kind).toBe('modelNotFound');
    expect(c2.requests).toHaveLength(1);
  });

  it('times out on the first token and on a stall, separately', async () => {
    @Agent({ name: 'slow', model: 'm', retries: 0, timeouts: { firstTokenMs: 30, stallMs: 30, totalMs: 1000 } })
    class Slow implements FlotillaAgent<string, string> {
      prompt(s: string): ChatMessage[] {
        return [{ role: 'user', content: s }];
      }
    }
    const { engine } = engineWith(
      (req) => (lastUser(req.messages) === 'late' ? { text: 'x', firstTokenDelayMs: 200 } : { text: 'abcdef', chunks: 3, interTokenDelayMs: 200 }),
      [Slow],
    );
    const late = await engine.run(defineChain('s', step.call(Slow)), 'late');
    expect(late.error).toMatchObject({ kind: 'timeout', details: { deadline: 'firstToken' } });
    const stalled = await engine.run(defineChain('s', step.call(Slow)), 'stall');
    expect(stalled.error).toMatchObject({ kind: 'timeout', details: { deadline: 'stall' } });
  });

  it('extends the first-token deadline while a model loads, and never retries a timeout during the load', async () => {
    @Agent({ name: 'cold', model: 'm', retries: 3, timeouts: { firstTokenMs: 40, totalMs: 5000 } })
    class Cold implements FlotillaAgent<string, string> {
      prompt(s: string): ChatMessage[] {
        return [{ role: 'user', content: s }];
      }
    }
    const { engine, client } = engineWith(
      (req) => (lastUser(req.messages) === 'ok' ? { text: 'hi', loadingMs: 60, firstTokenDelayMs: 10 } : { text: 'hi', loadingMs: 10, firstTokenDelayMs: 200 }),
      [Cold],
    );
    const ok = await engine.run(defineChain('c', step.call(Cold)), 'ok');
    expect(ok.status).toBe('succeeded');
    const stuck = await engine.run(defineChain('c', step.call(Cold)), 'stuck');
    expect(stuck.error).toMatchObject({ kind: 'timeout', retryable: false, details: { phase: 'loading' } });
    expect(client.requests.filter((r) => lastUser(r.request.messages) === 'stuck')).toHaveLength(1);
  });

  it('cancels every in-flight request when the run is cancelled and reports cancelled', async () => {
    const { engine, client } = engineWith((req) =>
      req.model === 'plan-model' ? '{"steps":["a","b","c","d"]}' : { text: 'slow', firstTokenDelayMs: 10_000 },
    );
    const controller = new AbortController();
    const done = engine.run(planThenDo, 'x', { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 20));
    expect(client.inFlight).toBe(2);
    controller.abort();
    const result = await done;
    expect(result.status).toBe('cancelled');
    expect(result.error!.kind).toBe('aborted');
    expect(client.inFlight).toBe(0);
    expect(client.requests.filter((r) => r.cancelled)).toHaveLength(2);
    expect(client.requests).toHaveLength(3); // no step started after the cancel
    expect(result.steps.map((s) => s.step)).toContain('planner');
  });

  it('ends with budgetExceeded on the run deadline, max model calls and max tokens, keeping completed steps', async () => {
    const script: ScriptFn = (req) => (req.model === 'plan-model' ? '{"steps":["a","b","c"]}' : { text: 'w', firstTokenDelayMs: 5 });
    const calls = await engineWith(script).engine.run(planThenDo, 'x', { maxModelCalls: 2 });
    expect(calls.error).toMatchObject({ kind: 'budgetExceeded', details: { budget: 'maxModelCalls' } });
    expect(calls.steps.some((s) => s.step === 'planner')).toBe(true);

    const deadline = await engineWith((req) => (req.model === 'plan-model' ? '{"steps":["a"]}' : { text: 'w', firstTokenDelayMs: 500 })).engine.run(
      planThenDo,
      'x',
      { deadlineMs: 50 },
    );
    expect(deadline.status).toBe('failed');
    expect(deadline.error).toMatchObject({ kind: 'budgetExceeded', details: { budget: 'deadlineMs' } });
    expect(deadline.steps.find((s) => s.step === 'planner')!.output).toEqual({ steps: ['a'] });

    const tokens = await engineWith((req) => (req.model === 'plan-model' ? { text: '{"steps":["a","b"]}', usage: { promptTokens: 50, completionTokens: 60 } } : 'w')).engine.run(
      planThenDo,
      'x',
      { maxTokens: 100 },
    );
    expect(tokens.error).toMatchObject({ kind: 'budgetExceeded', details: { budget: 'maxTokens' } });
  });

  it('shares one run-wide concurrency budget across nested fan-outs', async () => {
    const nested = defineChain(
      'nested',
      step.fanOut({
        items: () => [1, 2, 3, 4],
        concurrency: 4,
        step: step.fanOut({ items: () => ['a', 'b', 'c', 'd'], concurrency: 4, step: step.call(Doer, { input: () => 't' }) }),
      }),
    );
    const { engine, client } = engineWith(() => ({ text: 'x', firstTokenDelayMs: 5 }), [Planner, Doer], { engine: { runConcurrency: 3 } });
    const result = await engine.run(nested, null);
    expect(result.status).toBe('succeeded');
    expect(client.requests).toHaveLength(16);
    expect(client.maxInFlight).toBe(3);
  });

  it('honours a per-agent concurrency limit across runs', async () => {
    const { engine, client } = engineWith(() => ({ text: 'x', firstTokenDelayMs: 5 }), [Planner, Doer], { agents: { doer: { concurrency: 2 } } });
    const chain = defineChain('one', step.call(Doer));
    await Promise.all([1, 2, 3, 4, 5].map(() => engine.run(chain, 'x')));
    expect(client.maxInFlight).toBe(2);
  });

  it('runs a review loop until the reviewer approves, and branches on a predicate', async () => {
    @Agent({ name: 'judge', role: 'reviewer', model: 'judge-model', output: zodSchema(z.object({ approve: z.boolean() })) })
    class Judge implements FlotillaAgent<{ artifact: string }, { approve: boolean }> {
      prompt(args: { artifact: string }): ChatMessage[] {
        return [{ role: 'user', content: `judge: ${args.artifact}` }];
      }
    }
    const chain = defineChain(
      'loop',
      step.sequence([
        step.reviewLoop({
          work: step.call(Doer),
          review: step.call(Judge),
          revise: step.call(Doer, { input: (v) => `${(v as { artifact: string }).artifact}+` }),
          approved: (v) => (v as { approve: boolean }).approve,
          maxRounds: 5,
        }),
        step.branch({ when: (o) => (o as { approved: boolean }).approved, then: step.map(() => 'shipped'), otherwise: step.map(() => 'rejected') }),
      ]),
    );
    const { engine } = engineWith(
      (req) => {
        const u = lastUser(req.messages);
        if (req.model === 'judge-model') return JSON.stringify({ approve: u.endsWith('++') });
        return u.slice(4);
      },
      [Doer, Judge],
    );
    const result = await engine.run(chain, 'v');
    expect(result.output).toBe('shipped');
    const loop = result.steps.find((s) => s.step === 'reviewLoop')!.output as { rounds: unknown[]; artifact: string };
    expect(loop.rounds).toHaveLength(3);
    expect(loop.artifact).toBe('V++');
  });

  it('fails before running anything when a chain names an unknown agent, suggesting the closest', async () => {
    const { engine, client } = engineWith(() => 'x');
    const result = await engine.run(defineChain('bad', step.sequence([step.call(Doer), step.call('planer')])), 'x');
    expect(result.status).toBe('failed');
    expect(result.error!.kind).toBe('config');
    expect(result.error!.message).toMatch(/unknown agent "planer" \(did you mean "planner"\?\)/);
    expect(result.error!.message).toMatch(/root\/1/);
    expect(client.requests).toHaveLength(0);
  });

  it('rejects invalid run options and agent options with typed errors', async () => {
    const { engine } = engineWith(() => 'x');
    await expect(firstValueFrom(engine.run$(planThenDo, 'x', { maxTokens: -1 }))).rejects.toMatchObject({ kind: 'config', message: expect.stringMatching(/maxTokens/) });
    @Agent({ name: 'broken', retries: -1 })
    class Broken implements FlotillaAgent<string, string> {
      prompt(): ChatMessage[] {
        return [];
      }
    }
    expect(() => engineWith(() => 'x', [Broken]).engine).toThrow(/retries: expected a whole number/);
  });

  it('lets a user add a custom agent by decorating a class and binding it, nothing else', async () => {
    @Agent({ name: 'haiku', model: 'poet:1b' })
    class HaikuAgent implements FlotillaAgent<string, string[]> {
      prompt(topic: string): ChatMessage[] {
        return [{ role: 'user', content: `A haiku about ${topic}` }];
      }
      result(text: unknown): string[] {
        return String(text).split(' / ');
      }
    }
    const client = new ScriptedModelClient(() => 'old pond / a frog jumps in / splash');
    const container: Container = createFlotillaContainer({ client });
    container.bind(TOKENS.Agent).to(HaikuAgent);
    const engine: ChainEngine = container.get(TOKENS.ChainEngine);
    const result = await engine.run(defineChain('poem', step.call('haiku')), 'frogs');
    expect(result.output).toEqual(['old pond', 'a frog jumps in', 'splash']);
    expect(client.requests[0]!.request).toMatchObject({ model: 'poet:1b', messages: [{ role: 'user', content: 'A haiku about frogs' }] });
  });

  it('resolves models in order: configuration, then @Agent, then defaults', async () => {
    @Agent({ name: 'anon', role: 'worker' })
    class Anon implements FlotillaAgent<string, string> {
      prompt(s: string): ChatMessage[] {
        return [{ role: 'user', content: s }];
      }
    }
    const { engine, client } = engineWith(() => 'x', [Doer, Anon], {
      agents: { doer: { model: 'configured' } },
      defaults: { roles: { worker: 'role-default' } },
    });
    await engine.run(defineChain('c', step.sequence([step.call(Doer), step.call(Anon)])), 'x');
    expect(client.requests.map((r) => r.request.model)).toEqual(['configured', 'role-default']);
    const { engine: noModel } = engineWith(() => 'x', [Anon]);
    const r = await noModel.run(defineChain('c', step.call(Anon)), 'x');
    expect(r.error!.message).toMatch(/agents\.anon\.model/);
  });
});

describe('ChainEngine failover retries', () => {
  it('retries a router-marked failover at once (no backoff), drawing on the agent budget', async () => {
    let n = 0;
    const client = new ScriptedModelClient(() =>
      n++ === 0 ? { error: new FlotillaError('unavailable', 'endpoint a refused', { details: { endpoint: 'a', failover: true } }) } : 'ok',
    );
    const engine = createFlotillaContainer({ client, agents: [Doer], config: { engine: { retryBaseDelayMs: 5_000, retryMaxDelayMs: 5_000 } } }).get(
      TOKENS.ChainEngine,
    );
    const started = Date.now();
    const result = await engine.run(defineChain('one', step.call(Doer)), 'x');
    expect(result.status).toBe('succeeded');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(result.trace.find((e) => e.type === 'retry')).toMatchObject({ attempt: 1, delayMs: 0 });
  });
});
