import { type Observable, concat, of } from 'rxjs';
import { type RunHelpers, TestScheduler } from 'rxjs/testing';
import { z } from 'zod';
import { type AgentSpec, defineAgent } from '../agents/agent-spec';
import { FlotillaError } from '../errors/flotilla-error';
import type { ChatEvent } from '../model/chat-event';
import type { ChatCallOptions, ChatRequest } from '../model/chat-request';
import type { ModelClient } from '../model/model-client.interface';
import { zodSchema } from '../schema/zod-schema';
import { defineChain } from '../steps/define-chain';
import { step } from '../steps/step-builders';
import type { Step } from '../steps/step';
import type { FlotillaConfig } from '../di/flotilla-config';
import { ChainEngine } from './chain-engine';
import { schedulerClock } from './deadline-timers';
import type { RunResult } from './run-result';

// Marble tests of the engine's call path (AgentCall: limits, deadlines, retries) as it runs in
// production, on virtual time: the engine's deadline clock is the test scheduler.

const values: Record<string, ChatEvent> = {
  d: { type: 'delta', text: 'x' },
  t: { type: 'toolCall', call: { id: '1', name: 'search', arguments: {} } },
  l: { type: 'loading', expectedLoadMs: 20 },
  q: { type: 'queued', ticket: 7 },
  s: { type: 'dispatched', endpoint: 'gpu-1', ticket: 7 },
  f: { type: 'final', message: { role: 'assistant', content: 'x' }, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, timings: {}, model: 'm' },
  j: { type: 'final', message: { role: 'assistant', content: '{"ok":true}' }, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, timings: {}, model: 'm' },
  b: { type: 'final', message: { role: 'assistant', content: 'not json' }, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, timings: {}, model: 'm' },
};

const deadlines = { firstTokenMs: 10, stallMs: 5, totalMs: 50 };
const unavailable = new FlotillaError('unavailable', 'server down');

/** A client whose n-th call (over all agents) returns the n-th stream given; records calls. */
class MarbleClient implements ModelClient {
  readonly name = 'marble';
  readonly calls: { request: ChatRequest; options?: ChatCallOptions }[] = [];
  constructor(private readonly streams: (n: number, request: ChatRequest) => Observable<ChatEvent>) {}
  chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent> {
    this.calls.push({ request, options });
    return this.streams(this.calls.length - 1, request);
  }
}

interface Run {
  result: () => RunResult;
  client: MarbleClient;
  cancel: () => void;
}

function start(ts: TestScheduler, root: Step<string, unknown>, streams: (n: number, request: ChatRequest) => Observable<ChatEvent>, config: FlotillaConfig = {}): Run {
  const client = new MarbleClient(streams);
  const engine = new ChainEngine(client, { ...config, engine: { retryBaseDelayMs: 10, retryMaxDelayMs: 40, ...config.engine } }, undefined);
  engine.clock = schedulerClock(ts);
  const handle = engine.run(defineChain('marble', root), 'input');
  let result: RunResult | undefined;
  handle.events.subscribe((e) => {
    if (e.type === 'run.end') result = e.result;
  });
  return {
    client,
    cancel: () => void handle.cancel(),
    result: () => {
      if (!result) throw new Error('the run has not ended');
      return result;
    },
  };
}

const agent = (extra: Partial<AgentSpec<string, unknown>> = {}) => defineAgent({ name: 'a', model: 'm', retries: 0, timeouts: deadlines, prompt: (s: string) => s, ...extra });
const timeout = (retryable: boolean, details: Record<string, unknown>) => expect.objectContaining({ kind: 'timeout', retryable, details: expect.objectContaining(details) });

describe('the call path (marble)', () => {
  let ts: TestScheduler;
  let random: jest.SpyInstance;
  beforeEach(() => {
    ts = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    random = jest.spyOn(Math, 'random').mockReturnValue(0.5);
  });
  afterEach(() => random.mockRestore());

  /** Runs one call of `spec` on `marble` and checks the stream's subscription log. */
  function oneCall(marble: (h: RunHelpers) => Observable<ChatEvent> & { subscriptions: unknown[] }, subscriptions: string | string[], spec = agent()): RunResult {
    let run!: Run;
    ts.run((helpers) => {
      const source = marble(helpers);
      run = start(ts, step.call(spec), () => source);
      helpers.expectSubscriptions(source.subscriptions as never).toBe(subscriptions);
    });
    return run.result();
  }

  describe('deadlines', () => {
    it('passes a reply through when every deadline is met', () => {
      const r = oneCall(({ cold }) => cold('--d---d-d----t(f|)', values), '^-------------!');
      expect(r.status).toBe('succeeded');
    });

    it('fails with a retryable first-token timeout when nothing arrives in time', () => {
      const r = oneCall(({ cold }) => cold('20ms d|', values), '^ 9ms !');
      expect(r.error).toEqual(timeout(true, { deadline: 'firstToken', limitMs: 10, phase: 'waiting', elapsedMs: 10 }));
    });

    it('a final event alone does not count as the first token', () => {
      const r = oneCall(({ cold }) => cold('-f 20ms |', values), '^ 9ms !');
      expect(r.error).toEqual(timeout(true, { deadline: 'firstToken' }));
    });

    it('fails with a stall timeout when the gap between events exceeds stallMs', () => {
      // deltas at 2, 6 and 10 (gaps of 4 < 5), then silence: stall at 15
      const r = oneCall(({ cold }) => cold('--d---d---d 20ms |', values), '^ 14ms !');
      expect(r.error).toEqual(timeout(true, { deadline: 'stall', limitMs: 5, phase: 'generating', elapsedMs: 15 }));
    });

    it('a tool call starts generation like a delta', () => {
      const r = oneCall(({ cold }) => cold('---t 20ms |', values), '^ 7ms !');
      expect(r.error).toEqual(timeout(true, { deadline: 'stall' }));
    });

    it('fails with a total timeout even when tokens keep coming', () => {
      const r = oneCall(({ cold }) => cold('-' + 'd---'.repeat(20), values), '^ 49ms !');
      expect(r.error).toEqual(timeout(true, { deadline: 'total', limitMs: 50, phase: 'generating', elapsedMs: 50 }));
    });

    it('time in a router queue (queued -> dispatched) counts against no deadline; all three start at dispatch', () => {
      // Queued for 100 (twice the total deadline), dispatched at 100, first token 9 later.
      const r = oneCall(({ cold }) => cold('q 99ms s 8ms d---(f|)', values), '^ 112ms !');
      expect(r.status).toBe('succeeded');
    });

    it('after dispatch the first-token deadline runs from the dispatch', () => {
      const r = oneCall(({ cold }) => cold('q 29ms s 30ms d|', values), '^ 39ms !');
      expect(r.error).toEqual(timeout(true, { deadline: 'firstToken', limitMs: 10, elapsedMs: 10 }));
    });

    it('the total deadline also starts at dispatch', () => {
      const r = oneCall(({ cold }) => cold('q 39ms s--' + 'd---'.repeat(20), values), '^ 89ms !');
      expect(r.error).toEqual(timeout(true, { deadline: 'total', limitMs: 50, elapsedMs: 50 }));
    });

    it('a dispatched event without a queued one (dispatched at once) changes nothing', () => {
      const r = oneCall(({ cold }) => cold('s 20ms d|', values), '^ 9ms !');
      expect(r.error).toEqual(timeout(true, { deadline: 'firstToken', limitMs: 10 }));
    });

    it('a retry after a routed attempt tells the router its ticket, endpoint and why', () => {
      let run!: Run;
      ts.run(({ cold }) => {
        run = start(ts, step.call(agent({ retries: 1 })), (n) => (n === 0 ? cold<ChatEvent>('q s 20ms d|', values) : cold<ChatEvent>('-d(f|)', values)));
      });
      expect(run.result().status).toBe('succeeded');
      expect(run.client.calls[0]!.options?.retry).toBeUndefined();
      expect(run.client.calls[1]!.options?.retry).toEqual({ kind: 'timeout', ticket: 7, endpoint: 'gpu-1' });
    });

    it('a loading event extends the first-token deadline by expectedLoadMs', () => {
      // without the load the first token (at 25) would be late (10); with it the deadline is 30
      const r = oneCall(({ cold }) => cold('---l 21ms d-(f|)', values), '^ 26ms !');
      expect(r.status).toBe('succeeded');
    });

    it('a timeout while the model loads is not retried, and reports phase loading', () => {
      const r = oneCall(({ cold }) => cold('---l 40ms d|', values), '^ 29ms !', agent({ retries: 3 }));
      expect(r.error).toEqual(timeout(false, { deadline: 'firstToken', limitMs: 30, phase: 'loading', elapsedMs: 30 }));
    });

    it('a timeout after the load, once generating, is retryable again', () => {
      const r = oneCall(({ cold }) => cold('-l 20ms d 20ms |', values), '^ 26ms !');
      expect(r.error).toEqual(timeout(true, { deadline: 'stall', phase: 'generating' }));
    });

    it('a loading event sent synchronously on subscribe extends the first deadline too', () => {
      let run!: Run;
      ts.run(({ cold }) => {
        run = start(ts, step.call(agent()), () => concat(of(values['l']!), cold<ChatEvent>('40ms d|', values)));
      });
      expect(run.result().error).toEqual(timeout(false, { deadline: 'firstToken', limitMs: 30, phase: 'loading' }));
    });
  });

  describe('retries', () => {
    it('resubscribes on retryable errors after full-jitter backoff, up to `retries` times', () => {
      // base 10, max 40, random 0.5: delays 5, 10, 20 (ceilings 10, 20, 40).
      const r = oneCall(({ cold }) => cold('d-#', values, unavailable), ['^-!', '7ms ^-!', '19ms ^-!', '41ms ^-!'], agent({ retries: 3 }));
      expect(r.error).toMatchObject({ kind: 'unavailable' });
      expect(r.trace.filter((e) => e.type === 'retry').map((e) => (e as { delayMs: number }).delayMs)).toEqual([5, 10, 20]);
    });

    it('does not retry a non-retryable error', () => {
      const r = oneCall(({ cold }) => cold('-#', values, new FlotillaError('modelNotFound', 'gone')), '^!', agent({ retries: 3 }));
      expect(r.error).toMatchObject({ kind: 'modelNotFound' });
    });

    it('a timeout is retried after backoff on a fresh attempt, keeping the step key', () => {
      const r = oneCall(({ cold }) => cold('20ms d|', values), ['^ 9ms !', '15ms ^ 9ms !'], agent({ retries: 1 }));
      expect(r.error).toEqual(timeout(true, { deadline: 'firstToken' }));
      expect(r.trace.find((e) => e.type === 'retry')).toMatchObject({ key: '', attempt: 1, delayMs: 5 });
    });

    it('retries invalid structured output at once, with the error fed back', () => {
      let run!: Run;
      const judge = agent({ retries: 1, output: zodSchema(z.object({ ok: z.boolean() })) });
      ts.run(({ cold, expectSubscriptions }) => {
        const bad = cold<ChatEvent>('--d(b|)', values);
        const good = cold<ChatEvent>('--d(j|)', values);
        run = start(ts, step.call(judge), (n) => (n === 0 ? bad : good));
        expectSubscriptions(bad.subscriptions).toBe('^--!');
        expectSubscriptions(good.subscriptions).toBe('---^--!');
      });
      expect(run.result().output).toEqual({ ok: true });
      const second = run.client.calls[1]!.request.messages;
      expect(second.at(-2)).toEqual({ role: 'assistant', content: 'not json' });
      expect(second.at(-1)!.content).toMatch(/did not match the required JSON Schema/);
    });

    it('cancelling the run tears the attempt down and cancels its deadlines and the pending retry', () => {
      let run!: Run;
      ts.run(({ cold, expectSubscriptions }) => {
        const first = cold<ChatEvent>('d-#', values, unavailable);
        run = start(ts, step.call(agent({ retries: 3 })), () => first);
        ts.schedule(() => run.cancel(), 4); // during the backoff before the first retry
        expectSubscriptions(first.subscriptions).toBe('^-!');
      });
      expect(run.result()).toMatchObject({ status: 'cancelled', error: { kind: 'aborted' } });
      expect(run.client.calls).toHaveLength(1);
    });
  });

  describe('limits', () => {
    const fanned = (spec: AgentSpec<string, unknown>, n: number) => step.fanOut({ over: () => Array.from({ length: n }, (_, i) => `item ${i}`), step: step.call(spec), concurrency: n });

    it("an agent's concurrency runs at most that many calls at once and starts queued ones as slots free", () => {
      ts.run(({ cold, expectSubscriptions }) => {
        const streams = [cold<ChatEvent>('---d(f|)', values), cold<ChatEvent>('-d(f|)', values), cold<ChatEvent>('d(f|)', values)];
        start(ts, fanned(agent({ concurrency: 2 }), 3), (n) => streams[n]!);
        expectSubscriptions(streams[0]!.subscriptions).toBe('^---!');
        expectSubscriptions(streams[1]!.subscriptions).toBe('^-!');
        expectSubscriptions(streams[2]!.subscriptions).toBe('--^!');
      });
    });

    it('the run-wide budget grants queued calls by priority, highest first, first come within a priority', () => {
      const low = defineAgent({ name: 'low', model: 'm', timeouts: deadlines, prompt: (s: string) => s });
      const high = defineAgent({ name: 'high', model: 'm', priority: 5, timeouts: deadlines, prompt: (s: string) => s });
      const order: string[] = [];
      ts.run(({ cold }) => {
        const chain = step.fanOut({ over: () => ['l1', 'h1', 'l2', 'h2'], step: step.branch({ if: (s: string) => s.startsWith('h'), then: step.call(high), else: step.call(low) }), concurrency: 4 });
        start(ts, chain as Step<string, unknown>, (_n, request) => {
          order.push(request.messages[0]!.content);
          return cold<ChatEvent>('--d(f|)', values);
        }, { engine: { runConcurrency: 1 } });
      });
      expect(order).toEqual(['l1', 'h1', 'h2', 'l2']);
    });

    it('a call cancelled while it waits for a slot never reaches the client', () => {
      let run!: Run;
      ts.run(({ cold }) => {
        run = start(ts, fanned(agent({ concurrency: 1 }), 3), () => cold<ChatEvent>('----d(f|)', values));
        ts.schedule(() => run.cancel(), 2);
      });
      expect(run.client.calls).toHaveLength(1);
      expect(run.result().status).toBe('cancelled');
    });
  });
});
