import { Agent } from '../agents/agent.decorator';
import type { AgentClass, ContextPolicy, FlotillaAgent } from '../agents/agent-options';
import { type FlotillaOptions, createFlotilla } from '../flotilla/create-flotilla';
import type { RunOptions } from './chain-engine';
import { FlotillaError } from '../errors/flotilla-error';
import type { ChatMessage } from '../model/chat-message';
import type { RunnerOptions } from '../model/chat-request';
import type { ContextWindowAware } from '../model/context-window';
import { estimatePromptTokens } from '../model/token-estimate';
import { ScriptedModelClient, type ScriptFn } from '../../testing/scripted.model-client';
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

/** A scripted model endpoint that also reports context windows, per model and numCtx. */
class WindowedClient extends ScriptedModelClient implements ContextWindowAware {
  windowCalls: string[] = [];
  constructor(
    script: ScriptFn,
    private readonly windows: Record<string, number>,
  ) {
    super(script);
  }
  async contextWindow(model: string, options?: RunnerOptions): Promise<number | undefined> {
    this.windowCalls.push(`${model}:${options?.numCtx ?? ''}`);
    return options?.numCtx ?? this.windows[model];
  }
}

const history: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  ...Array.from({ length: 6 }, (_, i): ChatMessage => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i} ${'x'.repeat(400)}` })),
  { role: 'user', content: 'Now answer the question.' },
];

function agentWith(context: ContextPolicy | undefined, numCtx?: number): AgentClass {
  @Agent({ name: 'chat', model: 'small', context, options: { maxTokens: 100, ...(numCtx ? { numCtx } : {}) }, retries: 1 })
  class Chat implements FlotillaAgent<ChatMessage[], string> {
    prompt(messages: ChatMessage[]): ChatMessage[] {
      return messages;
    }
  }
  return Chat;
}

async function run(context: ContextPolicy | undefined, windows: Record<string, number>, script: ScriptFn = () => 'ok', numCtx?: number) {
  const client = new WindowedClient(script, windows);
  const engine = engineOf({ client, agents: [agentWith(context, numCtx)] });
  const result = await engine.run(defineChain('c', step.call('chat')), history);
  return { client, result };
}

const full = estimatePromptTokens({ messages: history });

describe('context windows', () => {
  it('sends the prompt untouched when it fits, and records the fit', async () => {
    const { client, result } = await run(undefined, { small: full + 200 });
    expect(result.status).toBe('succeeded');
    expect(client.requests[0]!.request.messages).toEqual(history);
    expect(result.steps[0]!.call!.context).toEqual({ window: full + 200, promptTokens: full });
  });

  it('fails with contextOverflow before calling the model by default (never a silent cut)', async () => {
    const { client, result } = await run(undefined, { small: 300 });
    expect(result.error).toMatchObject({ kind: 'contextOverflow', retryable: false, details: { window: 300, promptTokens: full, reserve: 100 } });
    expect(result.error!.message).toMatch(/does not fit the 300-token window of small/);
    expect(client.requests).toHaveLength(0);
  });

  it('drops the oldest non-system messages until it fits, keeping the system prompt and the last message', async () => {
    const { client, result } = await run({ onOverflow: 'dropOldest' }, { small: 400 });
    expect(result.status).toBe('succeeded');
    const sent = client.requests[0]!.request.messages;
    expect(sent[0]).toEqual(history[0]);
    expect(sent.at(-1)).toEqual(history.at(-1));
    expect(sent.length).toBeLessThan(history.length);
    // The newest turns survive, the oldest go first.
    expect(history.slice(1, -1).filter((m) => sent.includes(m))).toEqual(history.slice(-1 - (sent.length - 2), -1));
    const fit = result.steps[0]!.call!.context!;
    expect(fit.dropped).toBe(history.length - sent.length);
    expect(fit.promptTokens + 100).toBeLessThanOrEqual(400);
  });

  it('moves the call to the fallback model when the prompt does not fit', async () => {
    const { client, result } = await run({ onOverflow: 'fallback', fallbackModel: 'large' }, { small: 300, large: 8192 });
    expect(result.status).toBe('succeeded');
    expect(client.requests[0]!.request.model).toBe('large');
    expect(result.steps[0]!.call!.context).toMatchObject({ window: 8192, fallbackFrom: 'small' });
  });

  it('fails when even the fallback model is too small', async () => {
    const { result } = await run({ onOverflow: 'fallback', fallbackModel: 'large' }, { small: 300, large: 400 });
    expect(result.error).toMatchObject({ kind: 'contextOverflow', details: { model: 'large' } });
  });

  it('follows the policy when the server reports an overflow the estimate missed', async () => {
    const script: ScriptFn = (req) => (req.model === 'small' ? { error: new FlotillaError('contextOverflow', 'exceed_context_size_error') } : 'fine');
    const { client, result } = await run({ onOverflow: 'fallback', fallbackModel: 'large' }, { small: full + 500, large: 8192 }, script);
    expect(result.status).toBe('succeeded');
    expect(client.requests.map((r) => r.request.model)).toEqual(['small', 'large']);
    expect(result.trace.filter((e) => e.type === 'retry')).toHaveLength(1);
  });

  it('asks for a window once per model and numCtx, and uses numCtx as the window', async () => {
    const client = new WindowedClient(() => 'ok', { small: 100_000 });
    const engine = engineOf({ client, agents: [agentWith(undefined, 300)] });
    const chain = defineChain('c', step.call('chat'));
    const first = await engine.run(chain, history);
    await engine.run(chain, history);
    expect(first.error).toMatchObject({ kind: 'contextOverflow', details: { window: 300 } });
    expect(client.windowCalls).toEqual(['small:300']);
  });

  it('skips the check for clients that do not know windows', async () => {
    const client = new ScriptedModelClient(() => 'ok');
    const engine = engineOf({ client, agents: [agentWith(undefined)] });
    expect((await engine.run(defineChain('c', step.call('chat')), history)).status).toBe('succeeded');
  });
});
