import { Agent } from '../agents/agent.decorator';
import type { FlotillaAgent } from '../agents/agent-options';
import { createFlotillaContainer } from '../di/create-container';
import { TOKENS } from '../di/tokens';
import { FlotillaError } from '../errors/flotilla-error';
import type { ChatMessage } from '../model/chat-message';
import { ScriptedModelClient } from '../../testing/scripted.model-client';
import { type Step, defineChain, step } from './steps';

// Errors in user code (agent methods, step functions) fail the step at once as `userCode`:
// never retried (no more model calls are paid for), never reported as a server outage.

const bug = () => {
  throw new TypeError("Cannot read properties of undefined (reading 'length')");
};

@Agent({ name: 'echo', model: 'm', retries: 2 })
class Echo implements FlotillaAgent<string, string> {
  prompt(text: string): ChatMessage[] {
    return [{ role: 'user', content: text }];
  }
}

@Agent({ name: 'broken-result', model: 'm', retries: 2 })
class BrokenResult implements FlotillaAgent<string, string> {
  prompt(text: string): ChatMessage[] {
    return [{ role: 'user', content: text }];
  }
  result(): string {
    return bug();
  }
}

@Agent({ name: 'broken-prompt', model: 'm', retries: 2 })
class BrokenPrompt implements FlotillaAgent<string, string> {
  prompt(): ChatMessage[] {
    return bug();
  }
}

@Agent({ name: 'deliberate', model: 'm', retries: 2 })
class Deliberate implements FlotillaAgent<string, string> {
  prompt(): ChatMessage[] {
    throw new FlotillaError('badRequest', 'the input is not for this agent');
  }
}

async function run(root: Step) {
  const client = new ScriptedModelClient(() => 'reply');
  const engine = createFlotillaContainer({ client, agents: [Echo, BrokenResult, BrokenPrompt, Deliberate] }).get(TOKENS.ChainEngine);
  const result = await engine.run(defineChain('c', root), 'hello');
  return { result, calls: client.requests.length };
}

describe('errors raised by user code', () => {
  it("a TypeError in an agent's result() fails the step at once as userCode, naming agent and step, after one model call", async () => {
    const { result, calls } = await run(step.call('broken-result', { name: 'summarise' }));
    expect(calls).toBe(1);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ kind: 'userCode', retryable: false, details: { function: 'result()', agent: 'broken-result', step: 'summarise' } });
    expect(result.error!.message).toContain("result() of agent \"broken-result\" in step \"summarise\" threw TypeError: Cannot read properties of undefined (reading 'length')");
    expect(result.trace.some((e) => e.type === 'retry')).toBe(false);
  });

  it('a throwing prompt() fails before any model call', async () => {
    const { result, calls } = await run(step.call('broken-prompt'));
    expect(calls).toBe(0);
    expect(result.error).toMatchObject({ kind: 'userCode', details: { function: 'prompt()', agent: 'broken-prompt' } });
  });

  it('a FlotillaError thrown on purpose keeps its kind', async () => {
    const { result } = await run(step.call('deliberate'));
    expect(result.error).toMatchObject({ kind: 'badRequest', message: 'the input is not for this agent' });
  });

  it.each<[string, Step]>([
    ['input', step.call('echo', { name: 'the-call', input: bug })],
    ['map function', step.map(bug, { name: 'the-map' })],
    ['fanOut items', step.fanOut({ name: 'the-fan-out', items: bug, step: step.call('echo') })],
    ['branch when', step.branch({ name: 'the-branch', when: bug, then: step.call('echo') })],
    [
      'reviewLoop approved',
      step.reviewLoop({ name: 'the-loop', work: step.call('echo'), review: step.call('echo'), revise: step.call('echo'), approved: bug }),
    ],
  ])('a throwing step function (%s) fails the run as userCode naming the step', async (fn, root) => {
    const { result } = await run(root);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ kind: 'userCode', retryable: false, details: { function: fn } });
    expect(String(result.error!.details!['step'])).toMatch(/^the-/);
    // Steps completed before the failure are kept.
    if (fn === 'reviewLoop approved') expect(result.steps.filter((s) => s.call)).toHaveLength(2);
  });
});
