import { Observable } from 'rxjs';
import { Agent } from '../agents/agent.decorator';
import type { FlotillaAgent } from '../agents/agent-options';
import { createFlotilla } from '../flotilla/create-flotilla';
import { FlotillaError } from '../errors/flotilla-error';
import type { ChatEvent } from '../model/chat-event';
import type { ChatCallOptions, ChatRequest, RunnerOptions } from '../model/chat-request';
import type { ContextWindowAware } from '../model/context-window';
import type { ModelClient } from '../model/model-client.interface';
import { ContextGuard } from './context-guard';
import { defineChain } from '../steps/define-chain';
import { step } from '../steps/step-builders';

const FINAL: ChatEvent = {
  type: 'final',
  message: { role: 'assistant', content: 'ok' },
  finishReason: 'stop',
  usage: { promptTokens: 1, completionTokens: 1 },
  timings: {},
  model: 'm',
};

/** One attempt of a call as a router would stream it: a list of steps, each after a delay. */
type Step = { afterMs: number; event?: ChatEvent; error?: FlotillaError } | { hang: true };

/**
 * A model client driven by per-call scripts, standing in for a router (it emits `queued` and
 * `dispatched`) and optionally for its context-window lookups. Records every call's options.
 */
class RouterLikeClient implements ModelClient, ContextWindowAware {
  readonly name = 'router-like';
  readonly calls: { request: ChatRequest; options?: ChatCallOptions }[] = [];
  readonly lookups: { model: string; signal?: AbortSignal }[] = [];
  constructor(
    private readonly scripts: Step[][],
    private readonly window: (call: number, signal?: AbortSignal) => Promise<number | undefined> = async () => 100_000,
  ) {}

  contextWindow(model: string, _options?: RunnerOptions, signal?: AbortSignal): Promise<number | undefined> {
    this.lookups.push({ model, signal });
    return this.window(this.lookups.length - 1, signal);
  }

  chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent> {
    const steps = this.scripts[this.calls.length] ?? [{ afterMs: 0, event: { type: 'delta', text: 'ok' } }, { afterMs: 0, event: FINAL }];
    this.calls.push({ request, options });
    return new Observable<ChatEvent>((subscriber) => {
      const timers: NodeJS.Timeout[] = [];
      let at = 0;
      for (const s of steps) {
        if ('hang' in s) break;
        at += s.afterMs;
        timers.push(
          setTimeout(() => {
            if (s.error) subscriber.error(s.error);
            else if (s.event) subscriber.next(s.event);
          }, at),
        );
      }
      const last = steps.at(-1);
      if (last && !('hang' in last) && !last.error) timers.push(setTimeout(() => subscriber.complete(), at));
      return () => timers.forEach(clearTimeout);
    });
  }
}

@Agent({ name: 'asker', model: 'm', retries: 2, timeouts: { firstTokenMs: 150, stallMs: 150, totalMs: 1_000 } })
class Asker implements FlotillaAgent<string, string> {
  prompt(input: string) {
    return [{ role: 'user' as const, content: input }];
  }
}

async function run(client: ModelClient, retries?: number) {
  const engine = createFlotilla({ client, agents: [Asker], config: { agents: { asker: { retries } }, engine: { retryBaseDelayMs: 1, retryMaxDelayMs: 1 } } });
  const started = performance.now();
  const result = await engine.run(defineChain('c', step.call('asker')), 'hello').result;
  return { result, elapsedMs: performance.now() - started };
}

const never = () => new Promise<number | undefined>(() => undefined);
const dispatched = (endpoint: string, ticket: number): Step => ({ afterMs: 0, event: { type: 'dispatched', endpoint, ticket } });
const answer: Step[] = [
  { afterMs: 5, event: { type: 'delta', text: 'ok' } },
  { afterMs: 0, event: FINAL },
];

describe('AgentCall: deadlines around network waits', () => {
  it('a context-window lookup runs under the first-token deadline: a hung one ends the attempt with a retryable timeout', async () => {
    const client = new RouterLikeClient([], never);
    const { result, elapsedMs } = await run(client, 0);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ kind: 'timeout', retryable: true, details: { deadline: 'firstToken', during: 'contextWindowLookup' } });
    expect(elapsedMs).toBeLessThan(2 * 150);
    expect(client.calls).toHaveLength(0);
    expect(client.lookups[0]!.signal).toBeInstanceOf(AbortSignal);
  });

  it('a lookup that fails is not remembered: the call goes on with the window unknown, and the next run asks again', async () => {
    const client = new RouterLikeClient([], async (n) => {
      if (n === 0) throw new FlotillaError('unavailable', 'show failed');
      return 100_000;
    });
    const engine = createFlotilla({ client, agents: [Asker] });
    const chain = defineChain('c', step.call('asker'));
    expect((await engine.run(chain, 'a').result).status).toBe('succeeded');
    expect((await engine.run(chain, 'b').result).status).toBe('succeeded');
    expect((await engine.run(chain, 'c').result).status).toBe('succeeded');
    expect(client.lookups).toHaveLength(2);
  });

  it('time in the router queue does not count against first token: queued 3x the deadline, then dispatched, succeeds', async () => {
    const client = new RouterLikeClient([[{ afterMs: 0, event: { type: 'queued', ticket: 1 } }, { afterMs: 450, event: { type: 'dispatched', endpoint: 'a', ticket: 1 } }, ...answer]]);
    const { result } = await run(client, 0);
    expect(result.status).toBe('succeeded');
  });

  it('after dispatch the first-token deadline applies again', async () => {
    const client = new RouterLikeClient([[{ afterMs: 0, event: { type: 'queued', ticket: 1 } }, { afterMs: 300, event: { type: 'dispatched', endpoint: 'a', ticket: 1 } }, { hang: true }]]);
    const { result, elapsedMs } = await run(client, 0);
    expect(result.error).toMatchObject({ kind: 'timeout', details: { deadline: 'firstToken', endpoint: 'a' } });
    expect(elapsedMs).toBeGreaterThanOrEqual(300 + 140);
    expect(elapsedMs).toBeLessThan(300 + 2 * 150);
  });

  it('a retry tells the router its ticket, the endpoint that failed and why: after an engine timeout', async () => {
    const client = new RouterLikeClient([[dispatched('a', 4), { hang: true }], [dispatched('b', 4), ...answer]]);
    const { result } = await run(client);
    expect(result.status).toBe('succeeded');
    expect(client.calls[0]!.options?.retry).toBeUndefined();
    expect(client.calls[1]!.options?.retry).toEqual({ kind: 'timeout', ticket: 4, endpoint: 'a' });
  });

  it('... and after a failure the router reported, taking the endpoint from the error', async () => {
    const failure = new FlotillaError('unavailable', 'dropped', { details: { endpoint: 'c' } });
    const client = new RouterLikeClient([[{ afterMs: 0, event: { type: 'queued', ticket: 9 } }, { afterMs: 5, error: failure }], [dispatched('b', 9), ...answer]]);
    const { result } = await run(client);
    expect(result.status).toBe('succeeded');
    expect(client.calls[1]!.options?.retry).toEqual({ kind: 'unavailable', ticket: 9, endpoint: 'c' });
  });
});

describe('ContextGuard lookups', () => {
  const request: ChatRequest = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

  it('shares a lookup in flight, bounds it by its own deadline, and does not remember one that timed out', async () => {
    const signals: AbortSignal[] = [];
    const client: ContextWindowAware = {
      contextWindow: (_m, _o, signal) =>
        new Promise((_resolve, reject) => {
          signals.push(signal!);
          signal!.addEventListener('abort', () => reject(new FlotillaError('timeout', 'lookup timed out')));
        }),
    };
    const guard = new ContextGuard(client, { lookupTimeoutMs: 50 });
    const started = performance.now();
    const [a, b] = await Promise.all([guard.fit(request, undefined, 'x'), guard.fit(request, undefined, 'y')]);
    expect(performance.now() - started).toBeLessThan(500);
    expect(signals).toHaveLength(1);
    expect(a).toEqual({ request });
    expect(b).toEqual({ request });
    const again = guard.fit(request, undefined, 'x');
    expect(again).toBeInstanceOf(Promise);
    expect(signals).toHaveLength(2);
    await again;
  });

  it('after a successful lookup the check is synchronous', async () => {
    const guard = new ContextGuard({ contextWindow: async () => 4096 });
    await guard.fit(request, undefined, 'x');
    expect(guard.fit(request, undefined, 'x')).toMatchObject({ fit: { window: 4096 } });
  });
});
