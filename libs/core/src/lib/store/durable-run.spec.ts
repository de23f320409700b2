import { z } from 'zod';
import { defineAgent } from '../agents/agent-spec';
import { createFlotilla } from '../flotilla/create-flotilla';
import { FlotillaError } from '../errors/flotilla-error';
import type { ChatMessage } from '../model/chat-message';
import { zodSchema } from '../schema/zod-schema';
import { ScriptedModelClient, type ScriptFn } from '../../testing/scripted.model-client';
import { defineChain } from '../steps/define-chain';
import { step } from '../steps/step-builders';
import type { RunResult } from '../engine/run-result';
import { InMemoryRunStore } from './memory.run-store';
import type { JournalEntry, RunStore, RunUsage } from './run-store.interface';

const planner = defineAgent({
  name: 'planner',
  model: 'plan-model',
  output: zodSchema(z.object({ steps: z.array(z.string()) })),
  prompt: (objective: string) => `plan: ${objective}`,
});
const doer = defineAgent({ name: 'doer', model: 'work-model', retries: 0, prompt: (task: string) => `do: ${task}`, result: (text: string) => text.toUpperCase() });
const plan = step.call(planner, { id: 'plan' });
const chain = defineChain('plan-then-do', step.sequence(plan, step.fanOut({ id: 'do', over: (p) => p.steps, step: step.call(doer), concurrency: 2 }), step.map((done: string[], ctx) => ({ plan: ctx.get(plan).steps, done }))));

const lastUser = (m: readonly ChatMessage[]) => [...m].reverse().find((x) => x.role === 'user')!.content;
/** Plans a, b, c; does each; fails the tasks in `failing` with a non-retryable error. */
const script =
  (failing: ReadonlySet<string> = new Set()): ScriptFn =>
  (req) => {
    if (req.model === 'plan-model') return { text: JSON.stringify({ steps: ['a', 'b', 'c'] }), usage: { promptTokens: 10, completionTokens: 5 } };
    const task = lastUser(req.messages).slice(4);
    if (failing.has(task)) return { error: new FlotillaError('badRequest', `cannot do ${task}`) };
    return { text: `did ${task}`, usage: { promptTokens: 3, completionTokens: 2 } };
  };

/** Steps by key: what two runs are compared on (completion order may differ). */
const byKey = (r: RunResult) => Object.fromEntries(r.steps.map((s) => [s.key, s.output]));

describe('durable runs', () => {
  it('journals every completed call and the counters, and records how the run ended', async () => {
    const store = new InMemoryRunStore();
    const flotilla = createFlotilla({ client: new ScriptedModelClient(script()), store });
    const result = await flotilla.run(chain, 'build it', { runId: 'run-1', maxModelCalls: 20 }).result;
    expect(result.status).toBe('succeeded');
    const journal = await store.readJournal('run-1');
    expect(journal.map((e) => e.stepKey).sort()).toEqual(['do/step[0]', 'do/step[1]', 'do/step[2]', 'plan']);
    expect(journal.find((e) => e.stepKey === 'do/step[1]')!.output).toBe('DID B');
    const run = await store.getRun('run-1');
    expect(run).toMatchObject({ chain: 'plan-then-do', status: 'succeeded', input: 'build it', options: { maxModelCalls: 20 }, journaled: 4 });
    expect(run!.usage).toEqual({ promptTokens: 19, completionTokens: 11, modelCalls: 4 });
    expect(run!.output).toEqual(result.output);
    await flotilla.close();
  });

  it('resumes a failed run: journaled calls come from the store, only the unfinished one calls the model', async () => {
    const store = new InMemoryRunStore();
    const first = createFlotilla({ client: new ScriptedModelClient(script(new Set(['c']))), store });
    const failed = await first.run(chain, 'build it', { runId: 'run-2' }).result;
    expect(failed.status).toBe('failed');
    expect((await store.getRun('run-2'))!.status).toBe('failed');

    const client = new ScriptedModelClient(script());
    const second = createFlotilla({ client, store });
    const resumed = await second.resume(chain, 'run-2').result;
    expect(resumed.status).toBe('succeeded');
    expect(client.requests.map((r) => lastUser(r.request.messages))).toEqual(['do: c']);
    expect(client.requests[0]!.options?.step).toBe('do/step[2]');

    const uninterrupted = await createFlotilla({ client: new ScriptedModelClient(script()) }).run(chain, 'build it').result;
    expect(resumed.output).toEqual(uninterrupted.output);
    expect(byKey(resumed)).toEqual(byKey(uninterrupted));
    const journaled = resumed.steps.filter((s) => s.call?.journaled).map((s) => s.key);
    expect(journaled.sort()).toEqual(['do/step[0]', 'do/step[1]', 'plan']);
    // Events say so too; the counters include what the first attempt spent.
    const ends = resumed.trace.filter((e) => e.type === 'step.end' && e.call);
    expect(ends.filter((e) => e.type === 'step.end' && e.call?.journaled)).toHaveLength(3);
    expect(resumed.trace[0]).toMatchObject({ type: 'run.start', input: 'build it' });
    expect(resumed.modelCalls).toBe(5);
    expect((await store.getRun('run-2'))!.status).toBe('succeeded');
  });

  it('writes a call to the store before its output is used downstream', async () => {
    const appended: string[] = [];
    const slow = new (class extends InMemoryRunStore {
      override async append(runId: string, entry: JournalEntry, usage: RunUsage): Promise<void> {
        await new Promise((r) => setTimeout(r, 5));
        await super.append(runId, entry, usage);
        appended.push(entry.stepKey);
      }
    })();
    const seen: string[][] = [];
    const base = script();
    const client = new ScriptedModelClient((req, i) => {
      seen.push([...appended]);
      return base(req, i);
    });
    const result = await createFlotilla({ client, store: slow }).run(chain, 'x', { runId: 'run-3' }).result;
    expect(result.status).toBe('succeeded');
    // Every doer call started after the plan was journaled.
    expect(seen.slice(1).every((s) => s.includes('plan'))).toBe(true);
    expect(seen[0]).toEqual([]);
  });

  it('refuses to resume with a changed chain unless forced, and an unknown run', async () => {
    const store = new InMemoryRunStore();
    const flotilla = createFlotilla({ client: new ScriptedModelClient(script()), store });
    await flotilla.run(chain, 'x', { runId: 'run-4' }).result;
    const changed = defineChain('plan-then-do', chain.root, { version: '2' });
    const refused = await flotilla.resume(changed, 'run-4').result;
    expect(refused.status).toBe('failed');
    expect(refused.error).toMatchObject({ kind: 'config', details: { reason: 'chainChanged', runId: 'run-4' } });
    expect((await flotilla.resume(changed, 'run-4', { force: true }).result).status).toBe('succeeded');
    const unknown = await flotilla.resume(chain, 'nope').result;
    expect(unknown.error).toMatchObject({ kind: 'config', details: { reason: 'runNotFound' } });
    const otherModel = createFlotilla({ client: new ScriptedModelClient(script()), store, config: { agents: { doer: { model: 'other-model' } } } });
    expect((await otherModel.resume(chain, 'run-4').result).error?.details?.['reason']).toBe('chainChanged');
  });

  it('fails a step whose output JSON would change, naming it, before anything is written', async () => {
    const dated = defineAgent({ name: 'dated', model: 'work-model', prompt: (t: string) => t, result: () => ({ when: new Date(0) }) });
    const store = new InMemoryRunStore();
    const result = await createFlotilla({ client: new ScriptedModelClient(() => 'ok'), store }).run(defineChain('dated', step.call(dated, { id: 'stamp' })), 'x', { runId: 'run-5' }).result;
    expect(result.error).toMatchObject({ kind: 'userCode', details: { reason: 'notJson', step: 'stamp', agent: 'dated' } });
    expect(result.error!.message).toContain('when is a Date');
    expect(await store.readJournal('run-5')).toEqual([]);
    const input = await createFlotilla({ client: new ScriptedModelClient(() => 'ok'), store }).run(chain, 1n as unknown as string).result;
    expect(input.error).toMatchObject({ kind: 'config', details: { reason: 'notJson' } });
  });

  it('changes nothing without a store: resume is refused, and a run id may be reused', async () => {
    const flotilla = createFlotilla({ client: new ScriptedModelClient(script()) });
    const refused = await flotilla.resume(chain, 'run-6').result;
    expect(refused.error).toMatchObject({ kind: 'config' });
    expect(refused.error!.message).toContain('run store');
    for (let i = 0; i < 2; i++) expect((await flotilla.run(chain, 'x', { runId: 'run-6' }).result).status).toBe('succeeded');
  });

  it('draws A/B variants from the run id, so a resumed run takes the same one', async () => {
    const ab = defineAgent({ name: 'ab', model: 'm', variants: [{ name: 'one', model: 'm1' }, { name: 'two', model: 'm2' }], prompt: (t: string) => t });
    const abChain = defineChain('ab', step.sequence(step.call(ab, { id: 'first' }), step.call(doer, { id: 'then' })));
    const drawn = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const store = new InMemoryRunStore();
      const failing = createFlotilla({ client: new ScriptedModelClient((r) => (r.model === 'work-model' ? { error: new FlotillaError('badRequest', 'no') } : 'x')), store });
      const first = await failing.run(abChain, 'go', { runId: `ab-${i}` }).result;
      const resumed = await createFlotilla({ client: new ScriptedModelClient(() => 'y'), store }).resume(abChain, `ab-${i}`).result;
      expect(resumed.variants).toEqual(first.variants);
      drawn.add(first.variants['ab']!);
    }
    expect(drawn.size).toBe(2);
  });

  it('leases a run: a second resume while the first executes is refused, exactly one proceeds', async () => {
    const store = new InMemoryRunStore();
    await createFlotilla({ client: new ScriptedModelClient(script(new Set(['b']))), store }).run(chain, 'x', { runId: 'lease-1' }).result;
    expect((await store.getRun('lease-1'))!.lease).toBeUndefined();
    const slow = () => new ScriptedModelClient((r, i) => ({ ...(script()(r, i) as object), firstTokenDelayMs: 20 }));
    const [a, b] = [createFlotilla({ client: slow(), store }), createFlotilla({ client: slow(), store })];
    const results = await Promise.all([a.resume(chain, 'lease-1').result, b.resume(chain, 'lease-1').result]);
    expect(results.map((r) => r.status).sort()).toEqual(['failed', 'succeeded']);
    const refused = results.find((r) => r.status === 'failed')!;
    expect(refused.error).toMatchObject({ kind: 'overloaded', details: { reason: 'runLeased', runId: 'lease-1' } });
    expect(refused.error!.message).toContain('is being executed by another process');
    expect(refused.steps).toEqual([]);
    expect((await store.getRun('lease-1'))!.lease).toBeUndefined();
  });

  it('stops a run whose lease another process took over, and fences its writes', async () => {
    const store = new InMemoryRunStore();
    const hanging = new ScriptedModelClient((r, i) => (r.model === 'plan-model' ? script()(r, i) : { hang: true }));
    const run = createFlotilla({ client: hanging, store, leaseMs: 60 }).run(chain, 'x', { runId: 'lease-2' });
    await new Promise((r) => setTimeout(r, 30));
    const owner = (await store.getRun('lease-2'))!.lease!.owner;
    expect(owner).toMatch(/^[^:]+:\d+:[0-9a-f]{8}$/);
    // Another process takes the run over (as if this one had stalled past its lease).
    expect(await store.acquireLease('lease-2', 'elsewhere:1:beef', 60_000, owner)).toBeUndefined();
    const result = await run.result;
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ kind: 'overloaded', details: { reason: 'runLeased' } });
    expect(result.error!.message).toContain('no longer holds');
    // The run's end was not written over the new holder's.
    expect(await store.getRun('lease-2')).toMatchObject({ status: 'running', lease: { owner: 'elsewhere:1:beef' } });
    expect(() => createFlotilla({ client: hanging, leaseMs: 5 })).toThrow(/leaseMs/);
  });

  it('opens nothing for a bad store option', () => {
    const client = new ScriptedModelClient(() => 'x');
    expect(() => createFlotilla({ client, store: {} as RunStore })).toThrow(/RunStore object/);
    expect(() => createFlotilla({ client, store: ' ' })).toThrow(/non-empty file path/);
  });
});
