import { z } from 'zod';
import { defineAgent } from '../agents/agent-spec';
import { createFlotilla } from '../flotilla/create-flotilla';
import { zodSchema } from '../schema/zod-schema';
import { ScriptedModelClient } from '../../testing/scripted.model-client';
import type { RunEvent } from '../events/run-event';
import { InMemoryRunStore } from '../store/memory.run-store';
import { defineChain } from './define-chain';
import { step } from './step-builders';
import type { HumanDecision } from './human.step';

const writer = defineAgent({ name: 'writer', model: 'm', prompt: (topic: string) => `write ${topic}` });
const polisher = defineAgent({ name: 'polisher', model: 'm', prompt: (text: string) => `polish ${text}` });
const draft = z.object({ title: z.string().min(1) });

const chain = defineChain(
  'draft-check-polish',
  step.sequence(
    step.call(writer, { id: 'draft' }),
    step.human<string>({ id: 'check', question: (text) => `Publish "${text}"?` }),
    step.call(polisher, { input: (d: HumanDecision<string>) => d.value }),
  ),
);
const echo = () => new ScriptedModelClient((r) => `<${String(r.messages[r.messages.length - 1]!.content)}>`);

describe('step.human', () => {
  it('ends a durable run waiting with its question; a resume with an edit continues, and a later resume does not ask again', async () => {
    const store = new InMemoryRunStore();
    const client = echo();
    const flotilla = createFlotilla({ client, store });
    const run = flotilla.run(chain, 'ships', { runId: 'h1' });
    const events: RunEvent[] = [];
    run.events.subscribe((e) => events.push(e));
    const paused = await run.result;
    expect(paused.status).toBe('waiting');
    expect(paused.waiting).toEqual({ stepKey: 'check', question: 'Publish "<write ships>"?', value: '<write ships>' });
    expect(events.find((e) => e.type === 'run.waiting')).toMatchObject({ question: { stepKey: 'check' } });
    expect(await store.getRun('h1')).toMatchObject({ status: 'waiting', waiting: { stepKey: 'check' } });
    expect(client.requests).toHaveLength(1);

    const done = await flotilla.resume(chain, 'h1', { answer: { action: 'edit', value: 'boats' } }).result;
    expect(done.status).toBe('succeeded');
    expect(done.output).toBe('<polish boats>');
    expect(done.steps.find((s) => s.key === 'check')?.output).toEqual({ action: 'edit', approved: true, value: 'boats' });
    expect(client.requests).toHaveLength(2);
    expect((await store.readJournal('h1')).map((e) => e.kind)).toEqual(['call', 'human', 'call']);

    // Everything is journaled now: no question, no model call.
    const again = await flotilla.resume(chain, 'h1').result;
    expect(again.status).toBe('succeeded');
    expect(again.output).toBe('<polish boats>');
    expect(client.requests).toHaveLength(2);
    await flotilla.close();
  });

  it('checks an edit against the schema and refuses an answer to a run that is not waiting (config)', async () => {
    const store = new InMemoryRunStore();
    const flotilla = createFlotilla({ client: new ScriptedModelClient(() => JSON.stringify({ title: 'T' })), store });
    const structured = defineAgent({ name: 'w', model: 'm', output: zodSchema(draft), prompt: (t: string) => t });
    const c = defineChain('structured', step.sequence(step.call(structured), step.human({ id: 'ok', question: 'ok?', schema: zodSchema(draft) })));
    expect((await flotilla.run(c, 'x', { runId: 's1' }).result).status).toBe('waiting');
    const bad = await flotilla.resume(c, 's1', { answer: { action: 'edit', value: { title: '' } } }).result;
    expect(bad.status).toBe('failed');
    expect(bad.error).toMatchObject({ kind: 'config', details: { reason: 'badAnswer', step: 'ok' } });
    // The bad answer was not journaled: the run can still be answered (it failed, so first it waits again).
    expect((await flotilla.resume(c, 's1').result).status).toBe('waiting');
    const good = await flotilla.resume(c, 's1', { answer: { action: 'reject', comment: 'no' } }).result;
    expect(good.output).toEqual({ action: 'reject', approved: false, value: { title: 'T' }, comment: 'no' });
    const late = await flotilla.resume(c, 's1', { answer: { action: 'approve' } }).result;
    expect(late.error).toMatchObject({ kind: 'config', details: { reason: 'notWaiting' } });
    await flotilla.close();
  });

  it('without a store fails config (noHumanChannel) unless the run has an ask function', async () => {
    const flotilla = createFlotilla({ client: echo() });
    const failed = await flotilla.run(chain, 'ships').result;
    expect(failed.error).toMatchObject({ kind: 'config', details: { reason: 'noHumanChannel', step: 'check' } });
    const asked: string[] = [];
    const ok = await flotilla.run(chain, 'ships', { ask: (q) => (asked.push(q.question), { action: 'approve' }) }).result;
    expect(asked).toEqual(['Publish "<write ships>"?']);
    expect(ok.output).toBe('<polish <write ships>>');
    const badAsk = await flotilla.run(chain, 'ships', { ask: () => ({ action: 'maybe' }) as never }).result;
    expect(badAsk.error).toMatchObject({ kind: 'userCode' });
    await flotilla.close();
  });

  it('after its expiry fails the run (timeout, humanExpired) or takes the declared default', async () => {
    const store = new InMemoryRunStore();
    const flotilla = createFlotilla({ client: echo(), store });
    const strict = defineChain('strict', step.sequence(step.call(writer), step.human({ id: 'h', question: 'ok?', expiresInMs: 30 })));
    const lenient = defineChain('lenient', step.sequence(step.call(writer), step.human({ id: 'h', question: 'ok?', expiresInMs: 30, onExpiry: { default: { action: 'approve', comment: 'expired' } } })));
    const first = await flotilla.run(strict, 'a', { runId: 'e1' }).result;
    expect(first.waiting?.expiresAt).toBeGreaterThan(Date.now() - 1000);
    expect((await flotilla.run(lenient, 'a', { runId: 'e2' }).result).status).toBe('waiting');
    // Before the expiry a resume without an answer waits again, with the same expiry.
    const still = await flotilla.resume(strict, 'e1').result;
    expect(still.status).toBe('waiting');
    expect(still.waiting?.expiresAt).toBe(first.waiting?.expiresAt);
    await new Promise((r) => setTimeout(r, 40));
    const expired = await flotilla.resume(strict, 'e1').result;
    expect(expired.error).toMatchObject({ kind: 'timeout', details: { reason: 'humanExpired' } });
    const defaulted = await flotilla.resume(lenient, 'e2').result;
    expect(defaulted.output).toEqual({ action: 'approve', approved: true, value: '<write a>', comment: 'expired' });
    // With ask, the expiry is a timer on the question.
    const never = await createFlotilla({ client: echo() }).run(lenient, 'a', { ask: () => new Promise(() => undefined) }).result;
    expect(never.output).toMatchObject({ comment: 'expired' });
    await flotilla.close();
  });

  it('asks a person as the reviewer of a review loop (approved ends the loop)', async () => {
    const store = new InMemoryRunStore();
    const flotilla = createFlotilla({ client: echo(), store });
    const loop = defineChain(
      'human-review',
      step.reviewLoop(step.call(writer), step.human({ question: (r: { artifact: string }) => `ok: ${r.artifact}?` }), step.call(polisher, { input: (r: { artifact: string }) => r.artifact }), {
        until: (v: HumanDecision) => v.approved,
      }),
    );
    const first = await flotilla.run(loop, 't', { runId: 'r1' }).result;
    expect(first.waiting?.stepKey).toBe('review#0');
    const second = await flotilla.resume(loop, 'r1', { answer: { action: 'reject' } }).result;
    expect(second.waiting).toMatchObject({ stepKey: 'review#1', question: 'ok: <polish <write t>>?' });
    const done = await flotilla.resume(loop, 'r1', { answer: { action: 'approve' } }).result;
    expect(done.output).toMatchObject({ artifact: '<polish <write t>>', approved: true });
    await flotilla.close();
  });

  it('journals an ask function\'s answer in a durable run: a resume does not ask again', async () => {
    const store = new InMemoryRunStore();
    const flotilla = createFlotilla({ client: echo(), store });
    let asked = 0;
    const first = await flotilla.run(chain, 'ships', { runId: 'a1', ask: () => (asked++, { action: 'edit', value: 'boats' }) }).result;
    expect(first.output).toBe('<polish boats>');
    const again = await flotilla.resume(chain, 'a1', { ask: () => (asked++, { action: 'reject' }) }).result;
    expect(again.output).toBe('<polish boats>');
    expect(asked).toBe(1);
    await flotilla.close();
  });

  it('in a fan-out waits on one question at a time; answered ones stay journaled', async () => {
    const store = new InMemoryRunStore();
    const client = echo();
    const flotilla = createFlotilla({ client, store });
    const each = defineChain('each', step.fanOut({ over: (xs: string[]) => xs, step: step.sequence(step.call(writer), step.human<string>({ id: 'ok', question: (t) => `ok ${t}?` })) }));
    const first = await flotilla.run(each, ['a', 'b'], { runId: 'f1' }).result;
    expect(first.status).toBe('waiting');
    const one = first.waiting!.stepKey;
    const second = await flotilla.resume(each, 'f1', { answer: { action: 'approve' } }).result;
    expect(second.status).toBe('waiting');
    expect(second.waiting!.stepKey).not.toBe(one);
    const done = await flotilla.resume(each, 'f1', { answer: { action: 'edit', value: 'B' } }).result;
    expect(done.status).toBe('succeeded');
    expect((done.output as HumanDecision[]).map((d) => d.action).sort()).toEqual(['approve', 'edit']);
    // Each writer call was made once: resumes took them from the journal.
    expect(client.requests).toHaveLength(2);
    await flotilla.close();
  });

  it('validates its options before the run (config, no model call)', async () => {
    const client = echo();
    const flotilla = createFlotilla({ client });
    const noExpiry = await flotilla.run(defineChain('x', step.sequence(step.call(writer), step.human({ question: 'q', onExpiry: { default: { action: 'approve' } } }))), 'a').result;
    expect(noExpiry.error).toMatchObject({ kind: 'config' });
    expect(noExpiry.error?.message).toContain('expiresInMs');
    const badDefault = await flotilla.run(defineChain('y', step.human({ question: 'q', expiresInMs: 5, onExpiry: { default: { action: 'edit' } as never } })), 'a').result;
    expect(badDefault.error?.message).toContain('an edit needs a value');
    expect(client.requests).toHaveLength(0);
    await flotilla.close();
  });
});
