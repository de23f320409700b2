import { Agent } from '../agents/agent.decorator';
import type { FlotillaAgent } from '../agents/agent-options';
import { defineAgent } from '../agents/agent-spec';
import { createFlotilla } from '../flotilla/create-flotilla';
import { FlotillaError } from '../errors/flotilla-error';
import type { ChatMessage } from '../model/chat-message';
import { ScriptedModelClient } from '../../testing/scripted.model-client';
import { defineChain } from '../steps/define-chain';
import { step } from '../steps/step-builders';
import type { Step } from '../steps/step';

// Errors in user code (agent methods, step functions) fail the step at once as `userCode`:
// never retried (no more model calls are paid for), never reported as a server outage.

const bug = (): never => {
  throw new TypeError("Cannot read properties of undefined (reading 'length')");
};

const echo = defineAgent({ name: 'echo', model: 'm', retries: 2, prompt: (text: unknown) => String(text) });
const brokenResult = defineAgent({ name: 'broken-result', model: 'm', retries: 2, prompt: (text: string) => text, result: (): string => bug() });
const brokenPrompt = defineAgent({ name: 'broken-prompt', model: 'm', retries: 2, prompt: (): string => bug() });
const deliberate = defineAgent({
  name: 'deliberate',
  model: 'm',
  retries: 2,
  prompt: (): string => {
    throw new FlotillaError('badRequest', 'the input is not for this agent');
  },
});

@Agent({ name: 'broken-class', model: 'm', retries: 2 })
class BrokenClass implements FlotillaAgent<string, string> {
  prompt(text: string): ChatMessage[] {
    return [{ role: 'user', content: text }];
  }
  result(): string {
    return bug();
  }
}

async function run(root: Step<string, unknown>) {
  const client = new ScriptedModelClient(() => 'reply');
  const result = await createFlotilla({ client }).run(defineChain('c', root), 'hello').result;
  return { result, calls: client.requests.length };
}

describe('errors raised by user code', () => {
  it("a TypeError in an agent's result() fails the step at once as userCode, naming agent and step, after one model call", async () => {
    const { result, calls } = await run(step.call(brokenResult, { id: 'summarise' }));
    expect(calls).toBe(1);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ kind: 'userCode', retryable: false, details: { function: 'result()', agent: 'broken-result', step: 'summarise' } });
    expect(result.error!.message).toContain("result() of agent \"broken-result\" in step \"summarise\" threw TypeError: Cannot read properties of undefined (reading 'length')");
    expect(result.trace.some((e) => e.type === 'retry')).toBe(false);
  });

  it('the same for an @Agent class', async () => {
    const { result, calls } = await run(step.call(BrokenClass));
    expect(calls).toBe(1);
    expect(result.error).toMatchObject({ kind: 'userCode', details: { function: 'result()', agent: 'broken-class' } });
  });

  it('a throwing prompt() fails before any model call', async () => {
    const { result, calls } = await run(step.call(brokenPrompt));
    expect(calls).toBe(0);
    expect(result.error).toMatchObject({ kind: 'userCode', details: { function: 'prompt()', agent: 'broken-prompt' } });
  });

  it('a FlotillaError thrown on purpose keeps its kind', async () => {
    const { result } = await run(step.call(deliberate));
    expect(result.error).toMatchObject({ kind: 'badRequest', message: 'the input is not for this agent' });
  });

  it.each<[string, Step<string, unknown>]>([
    ['input', step.call(echo, { id: 'the-call', input: (_v: string) => bug() })],
    ['map function', step.map((_v: string) => bug(), { id: 'the-map' })],
    ['fanOut over', step.fanOut({ id: 'the-fan-out', over: (_v: string): string[] => bug(), step: step.call(echo) })],
    ['branch if', step.branch({ id: 'the-branch', if: (_v: string) => bug(), then: step.call(echo) })],
    ['reviewLoop until', step.reviewLoop(step.call(echo), step.call(echo), step.call(echo), { id: 'the-loop', until: () => bug() })],
  ])('a throwing step function (%s) fails the run as userCode naming the step', async (fn, root) => {
    const { result } = await run(root);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ kind: 'userCode', retryable: false, details: { function: fn } });
    expect(String(result.error!.details!['step'])).toMatch(/^the-/);
    // Steps completed before the failure are kept.
    if (fn === 'reviewLoop until') expect(result.steps.filter((s) => s.call)).toHaveLength(2);
  });
});
