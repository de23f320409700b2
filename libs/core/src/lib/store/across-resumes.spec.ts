import { defineAgent } from '../agents/agent-spec';
import { createFlotilla } from '../flotilla/create-flotilla';
import { ScriptedModelClient } from '../../testing/scripted.model-client';
import { defineChain } from '../steps/define-chain';
import { step } from '../steps/step-builders';
import type { HumanDecision } from '../steps/human.step';
import { InMemoryRunStore } from './memory.run-store';

const writer = defineAgent({ name: 'writer', model: 'm', retries: 0, prompt: (topic: string) => `write ${topic}` });
const polisher = defineAgent({ name: 'polisher', model: 'slow', retries: 0, prompt: (text: string) => `polish ${text}` });
// A call, a person's approval, then a call that takes POLISH_MS.
const chain = defineChain(
  'write-check-polish',
  step.sequence(step.call(writer), step.human<string>({ id: 'check', question: 'ok?' }), step.call(polisher, { input: (d: HumanDecision<string>) => d.value })),
);
const POLISH_MS = 400;
const client = () => new ScriptedModelClient((r) => (r.model === 'slow' ? { text: 'polished', firstTokenDelayMs: POLISH_MS } : { text: 'draft', usage: { promptTokens: 2, completionTokens: 3 } }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const approve = { action: 'approve' } as const;

describe('across resumes', () => {
  // The run waits for a person for 400 ms; its deadline is 600 ms; the call after the answer takes 400 ms.
  it("deadlineAcross 'attempt' (the default): each attempt has the whole deadline", async () => {
    const store = new InMemoryRunStore();
    const flotilla = createFlotilla({ client: client(), store });
    expect((await flotilla.run(chain, 'ships', { runId: 'a1', deadlineMs: 600 }).result).status).toBe('waiting');
    await sleep(400);
    const done = await flotilla.resume(chain, 'a1', { answer: approve, deadlineMs: 600 }).result;
    expect(done.status).toBe('succeeded');
    expect(done.output).toBe('polished');
    await flotilla.close();
  });

  it("deadlineAcross 'run': the wall clock from the run's first start; a resume keeps the run's deadline and gets what is left", async () => {
    const store = new InMemoryRunStore();
    const c = client();
    const flotilla = createFlotilla({ client: c, store });
    expect((await flotilla.run(chain, 'ships', { runId: 'r1', deadlineMs: 600, deadlineAcross: 'run' }).result).status).toBe('waiting');
    expect((await store.getRun('r1'))!.options).toMatchObject({ deadlineMs: 600, deadlineAcross: 'run' });
    await sleep(400);
    // No deadline given: the run's own; about 200 ms are left, less than the call needs.
    const started = Date.now();
    const late = await flotilla.resume(chain, 'r1', { answer: approve }).result;
    expect(late.status).toBe('failed');
    expect(late.error).toMatchObject({ kind: 'budgetExceeded', details: { budget: 'deadlineMs', limit: 600, across: 'run' } });
    expect(Date.now() - started).toBeLessThan(POLISH_MS);
    expect((await store.getRun('r1'))!.status).toBe('failed');
    // Resumed after the deadline passed: it fails at once, calling no model.
    const calls = c.requests.length;
    const after = await flotilla.resume(chain, 'r1').result;
    expect(after.error).toMatchObject({ kind: 'budgetExceeded', details: { across: 'run' } });
    expect(c.requests).toHaveLength(calls);
    // A deadline given to resume wins over the run's (here per attempt).
    expect((await flotilla.resume(chain, 'r1', { deadlineMs: 5000 }).result).status).toBe('succeeded');
    await flotilla.close();
  });

  it('refuses an unknown deadlineAcross', async () => {
    const flotilla = createFlotilla({ client: client() });
    const r = await flotilla.run(chain, 'x', { deadlineMs: 10, deadlineAcross: 'forever' as never }).result;
    expect(r.error).toMatchObject({ kind: 'config' });
    expect(r.error?.message).toContain('deadlineAcross');
  });

  it('budgets count what earlier attempts spent: a resume past maxModelCalls calls no model', async () => {
    const store = new InMemoryRunStore();
    const c = client();
    const flotilla = createFlotilla({ client: c, store });
    const paused = await flotilla.run(chain, 'ships', { runId: 'b1', maxModelCalls: 1 }).result;
    expect(paused.status).toBe('waiting');
    expect(paused.modelCalls).toBe(1);
    // The polish call would be the run's second: over the stored budget of 1.
    const resumed = await flotilla.resume(chain, 'b1', { answer: approve }).result;
    expect(resumed.status).toBe('failed');
    expect(resumed.error).toMatchObject({ kind: 'budgetExceeded' });
    expect(c.requests).toHaveLength(1);
    // The same resume with a budget of 2 (given to resume, it wins) succeeds: only the spent call counted.
    const more = await flotilla.resume(chain, 'b1', { maxModelCalls: 2 }).result;
    expect(more.status).toBe('succeeded');
    expect(more.modelCalls).toBe(2);
    await flotilla.close();
  });
});
