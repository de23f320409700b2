import { Agent } from '../agents/agent.decorator';
import type { FlotillaAgent } from '../agents/agent-options';
import type { PromptContext } from '../agents/agent-spec';
import { type FlotillaOptions, createFlotilla } from '../flotilla/create-flotilla';
import type { RunOptions } from './chain-engine';
import type { ChatMessage } from '../model/chat-message';
import { ScriptedModelClient } from '../../testing/scripted.model-client';
import { type Chain, defineChain } from '../steps/define-chain';
import { step } from '../steps/step-builders';

/** The engine as these specs drive it: runs resolve with their result. */
function engineOf(options: FlotillaOptions) {
  const flotilla = createFlotilla(options);
  return {
    run: <I, O>(chain: Chain<I, O>, input: I, opts?: RunOptions) => flotilla.run(chain, input, opts).result,
    validate: (chain: Chain<never, unknown>) => flotilla.validate(chain),
  };
}

@Agent({
  name: 'writer',
  model: 'base-model',
  variants: [
    { name: 'small', weight: 3, model: 'small-model' },
    { name: 'terse', weight: 1, options: { temperature: 0.1 } },
  ],
})
class Writer implements FlotillaAgent<string, string> {
  prompt(input: string, ctx: PromptContext): ChatMessage[] {
    return [{ role: 'user', content: ctx.variant === 'terse' ? `Tersely: ${input}` : input }];
  }
}

const fanned = defineChain('fan', step.fanOut({ over: () => ['a', 'b', 'c', 'd'], step: step.call(Writer), concurrency: 4 }));

function setup() {
  const client = new ScriptedModelClient(() => 'ok');
  const engine = engineOf({ client, agents: [Writer] });
  return { client, engine };
}

describe('A/B variants', () => {
  it('picks one variant per run and agent, uses it for every call of that run, and records it', async () => {
    const { client, engine } = setup();
    const result = await engine.run(fanned, null);
    const variant = result.variants['writer'];
    expect(['small', 'terse']).toContain(variant);
    const calls = result.steps.filter((s) => s.call);
    expect(calls.map((s) => s.call!.variant)).toEqual([variant, variant, variant, variant]);
    const starts = result.trace.filter((e) => e.type === 'step.start' && e.kind === 'call');
    expect(starts.every((e) => e.type === 'step.start' && e.variant === variant)).toBe(true);
    const models = new Set(client.requests.map((r) => r.request.model));
    expect([...models]).toEqual([variant === 'small' ? 'small-model' : 'base-model']);
  });

  it('applies a forced variant: its model, options and prompt', async () => {
    const { client, engine } = setup();
    const result = await engine.run(defineChain('one', step.call(Writer)), 'hello', { variants: { writer: 'terse' } });
    expect(result.variants).toEqual({ writer: 'terse' });
    expect(client.requests[0]!.request).toMatchObject({ model: 'base-model', options: { temperature: 0.1 }, messages: [{ content: 'Tersely: hello' }] });
  });

  it('draws variants by weight across runs', async () => {
    const { engine } = setup();
    const chain = defineChain('one', step.call(Writer));
    let small = 0;
    const runs = 400;
    for (let i = 0; i < runs; i++) if ((await engine.run(chain, 'x')).variants['writer'] === 'small') small++;
    // Weight 3:1 -> 75 %; 400 draws keep it within +-10 points with overwhelming probability.
    expect(small / runs).toBeGreaterThan(0.65);
    expect(small / runs).toBeLessThan(0.85);
  });

  it('rejects a forced variant the agent does not declare, before running anything', async () => {
    const { client, engine } = setup();
    const result = await engine.run(defineChain('one', step.call(Writer)), 'x', { variants: { writer: 'huge' } });
    expect(result.error).toMatchObject({ kind: 'config', message: expect.stringContaining('variants.writer: expected one of "small", "terse", got "huge"') });
    expect(client.requests).toHaveLength(0);
  });

  it('rejects malformed variants in configuration with the path', () => {
    const client = new ScriptedModelClient(() => 'ok');
    const engine = engineOf({ client, agents: [Writer], config: { agents: { writer: { variants: [{ name: 'a' }, { name: 'a' }] } } } });
    expect(() => engine.validate(defineChain('one', step.call(Writer)))).toThrow(/variants\[1\]\.name: expected a name not used by another variant/);
  });
});
