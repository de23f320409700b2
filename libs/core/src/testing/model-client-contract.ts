import Ajv from 'ajv';
import type { Observable, Subscription } from 'rxjs';
import type { ChatEvent, FinalEvent } from '../lib/model/chat-event';
import type { ChatCallOptions, ChatRequest, JsonSchema } from '../lib/model/chat-request';
import type { ModelClient } from '../lib/model/model-client.interface';
import type { ErrorKind } from '../lib/errors/error-kind';
import { FlotillaError } from '../lib/errors/flotilla-error';
import { createFlotilla } from '../lib/flotilla/create-flotilla';
import { defineAgent } from '../lib/agents/agent-spec';
import type { AgentTimeouts, ToolLoopOptions } from '../lib/agents/agent-options';
import { defineTool, type Tool } from '../lib/tools/tool';
import { jsonSchema } from '../lib/schema/json-schema';
import type { ToolDefinition } from '../lib/model/chat-message';

/** The error kinds a model client must be able to report, as the suite provokes them. */
export type ContractErrorKind = 'modelNotFound' | 'overloaded' | 'badRequest' | 'unavailable';

/**
 * What the serving side does with the next chat request it receives (one-shot: the request
 * after that gets the default reply again). HTTP servers map error kinds to statuses:
 * modelNotFound 404, overloaded 503, badRequest 400, unavailable 500.
 */
export type ContractBehaviour =
  /** Reply with exactly `text`, in `chunks` pieces (default: the server's own chunking). */
  | { type: 'text'; text: string; chunks?: number }
  /** Reply with JSON that conforms to the schema the request carried (Ollama `format`, OpenAI `response_format`). */
  | { type: 'structured' }
  /** Reply with one tool call. */
  | { type: 'toolCall'; name: string; arguments: Record<string, unknown> }
  /** Reply with several tool calls at once (parallel calls), in this order. */
  | { type: 'toolCalls'; calls: { name: string; arguments: Record<string, unknown> }[] }
  /**
   * Reply with one tool call written in the text (Hermes / Qwen 2.5 `<tool_call>` tags), with no
   * tool call in the server's tool-call field: what a server returns when its template's parser
   * misses the model's call. The engine recovers it.
   */
  | { type: 'toolCallText'; name: string; arguments: Record<string, unknown> }
  /** Fail before the first byte, the way the protocol reports this kind. */
  | { type: 'error'; kind: ContractErrorKind }
  /** Start streaming, then report an error inside the stream after `afterChunks` pieces (HTTP status stays 200). */
  | { type: 'midStreamError'; afterChunks: number; message?: string }
  /** Start streaming, then drop the connection after `afterChunks` pieces, with no final chunk. */
  | { type: 'drop'; afterChunks: number }
  /** Accept the request and send nothing (not even headers) until the client goes away. */
  | { type: 'hang' }
  /** Send `text` in `chunks` pieces, `intervalMs` apart (real time, not scaled). */
  | { type: 'trickle'; text: string; chunks: number; intervalMs: number };

/**
 * What a model client under test brings to the shared suite. Keep this interface stable:
 * every adapter's spec implements it.
 */
export interface ModelClientContractHarness {
  readonly client: ModelClient;
  /** A model the serving side has. */
  readonly model: string;
  /** A model the serving side does not have. */
  readonly missingModel: string;
  /** Scripts the serving side's answer to the next chat request. */
  scriptNext(behaviour: ContractBehaviour): void;
  /**
   * Whether the serving side saw the most recent request end before its response finished
   * (for HTTP servers: the client disconnected) and stopped generating for it.
   */
  observedCancellation(): boolean | Promise<boolean>;
  /** How many chat requests the serving side has received so far (the "cold" check). */
  requestCount(): number | Promise<number>;
  close(): Promise<void>;
}

/** Suite cases an adapter may opt out of, saying why in its spec. */
export type ContractCase =
  | 'structured'
  | 'toolCalls'
  /** Tool choice: a named tool forced, `none` obeyed (or a warning that the client cannot). */
  | 'toolChoice'
  /** The engine's tool loop over this client: a call run and fed back, parallel calls, a tool error, the round cap, cancellation while a tool runs. */
  | 'toolLoop'
  /** The engine recovers a tool call the model wrote in its text (the `toolCallText` behaviour). */
  | 'toolRecovery'
  /** Tool-loop cases that check the scripted call's exact arguments (a real model under a call grammar picks its own). */
  | 'toolArguments'
  /** Tool-loop case with several calls in one reply (parallel calls). */
  | 'parallelToolCalls'
  | 'cancellation'
  | 'signal'
  | 'timeouts'
  | 'errors'
  | 'midStream'
  | 'concurrency';

export interface ModelClientContractOptions {
  /** Cases not to run. @default [] */
  skip?: readonly ContractCase[];
  /** Error kinds the client reports; the suite provokes each. @default all four */
  errorKinds?: readonly ContractErrorKind[];
  /** How long to wait for the serving side to notice a cancellation. @default 2000 */
  cancellationWaitMs?: number;
}

/** A portable-subset schema with every keyword the subset allows, nested. */
export const CONTRACT_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['title', 'score', 'ratio', 'done', 'tags', 'status', 'note', 'meta'],
  properties: {
    title: { type: 'string', minLength: 3, maxLength: 20 },
    score: { type: 'integer', minimum: 1, maximum: 10 },
    ratio: { type: 'number', minimum: 0, maximum: 1 },
    done: { type: 'boolean' },
    tags: { type: 'array', items: { type: 'string', enum: ['a', 'b', 'c'] }, minItems: 1, maxItems: 3 },
    status: { type: 'string', const: 'open' },
    note: { anyOf: [{ type: 'string' }, { type: 'null' }] },
    meta: {
      type: 'object',
      additionalProperties: false,
      required: ['n'],
      properties: { n: { type: 'number', enum: [1, 2, 3] } },
    },
  },
};

interface Collected {
  events: ChatEvent[];
  error?: unknown;
  completed: boolean;
}

/** Subscribes and gathers everything the stream says, until it completes or errors. */
export function collectChat(events: Observable<ChatEvent>, limitMs = 10_000): Promise<Collected> {
  return new Promise((resolve) => {
    const out: Collected = { events: [], completed: false };
    let sub: Subscription | undefined = undefined;
    const guard = setTimeout(() => {
      sub?.unsubscribe();
      resolve({ ...out, error: new Error(`collectChat: stream still open after ${limitMs} ms`) });
    }, limitMs);
    sub = events.subscribe({
      next: (e) => out.events.push(e),
      error: (error) => {
        clearTimeout(guard);
        resolve({ ...out, error });
      },
      complete: () => {
        clearTimeout(guard);
        resolve({ ...out, completed: true });
      },
    });
  });
}

async function eventually(check: () => boolean | Promise<boolean>, waitMs: number): Promise<boolean> {
  const until = Date.now() + waitMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= until) return false;
    await sleep(20);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function finalOf(c: Collected): FinalEvent {
  const finals = c.events.filter((e): e is FinalEvent => e.type === 'final');
  if (finals.length !== 1) throw new Error(`expected exactly one final event, got ${finals.length} (error: ${String(c.error)})`);
  return finals[0]!;
}

function deltaText(c: Collected): string {
  return c.events.map((e) => (e.type === 'delta' ? e.text : '')).join('');
}

/**
 * Unsubscribes at the first delta, or after `orAfterMs` while the server is still generating
 * (a non-streaming client shows no delta until the end).
 */
function cancelWhileGenerating(events: Observable<ChatEvent>, orAfterMs: number): Promise<{ sawFinal: boolean }> {
  return new Promise((resolve, reject) => {
    let sub: Subscription | undefined = undefined;
    let done = false;
    let sawFinal = false;
    const cancel = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // Deferred: the subscription object exists only once subscribe() has returned.
      queueMicrotask(() => {
        sub?.unsubscribe();
        resolve({ sawFinal });
      });
    };
    const timer = setTimeout(cancel, orAfterMs);
    sub = events.subscribe({
      next: (e) => {
        if (e.type === 'final') sawFinal = true;
        if (e.type === 'delta') cancel();
      },
      error: (err) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(err);
      },
      complete: () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve({ sawFinal });
      },
    });
  });
}

const ERROR_RETRYABLE: Readonly<Record<ContractErrorKind, boolean>> = {
  modelNotFound: false,
  overloaded: true,
  badRequest: false,
  unavailable: true,
};

/**
 * The behaviour every `ModelClient` shares, checked against a serving side the harness
 * controls. Call at the top level of a spec file; uses jest's describe/it/expect.
 */
export function describeModelClientContract(
  name: string,
  makeHarness: () => Promise<ModelClientContractHarness>,
  options: ModelClientContractOptions = {},
): void {
  const skip = new Set(options.skip ?? []);
  const errorKinds = options.errorKinds ?? (['modelNotFound', 'overloaded', 'badRequest', 'unavailable'] as const);
  const waitMs = options.cancellationWaitMs ?? 2000;
  const maybe = (...cases: ContractCase[]) => (cases.some((c) => skip.has(c)) ? it.skip : it);

  describe(`ModelClient contract: ${name}`, () => {
    let h: ModelClientContractHarness;
    const request = (over: Partial<ChatRequest> = {}): ChatRequest => ({
      model: h.model,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Say something about harbours.' },
      ],
      ...over,
    });
    const chat = (req: ChatRequest, opts?: ChatCallOptions) => h.client.chat(req, opts);
    /** One call of the contract's request through the engine, with these deadlines and no retry. */
    const throughEngine = async (timeouts: AgentTimeouts) => {
      const base = request();
      const agent = defineAgent({ name: 'contract', model: base.model, retries: 0, timeouts, prompt: () => base.messages });
      // The harness owns the client: the engine is not closed, so the client is not either.
      return createFlotilla({ client: h.client }).run(agent, undefined).result;
    };

    beforeAll(async () => {
      h = await makeHarness();
    });
    afterAll(async () => {
      await h?.close();
    });

    it('has a name', () => {
      expect(typeof h.client.name).toBe('string');
      expect(h.client.name.length).toBeGreaterThan(0);
    });

    it('is cold: nothing is sent before subscription', async () => {
      const before = await h.requestCount();
      const events = chat(request());
      await sleep(50);
      expect(await h.requestCount()).toBe(before);
      const c = await collectChat(events);
      expect(c.error).toBeUndefined();
      expect(await h.requestCount()).toBe(before + 1);
    });

    it('streams deltas, then exactly one final event, then completes', async () => {
      h.scriptNext({ type: 'text', text: 'Harbours shelter ships from the open sea.', chunks: 5 });
      const c = await collectChat(chat(request()));
      expect(c.error).toBeUndefined();
      expect(c.completed).toBe(true);
      const last = c.events[c.events.length - 1];
      expect(last?.type).toBe('final');
      expect(c.events.filter((e) => e.type === 'final')).toHaveLength(1);
      // A client that queues calls (a router) also says when the call waited and where it went.
      for (const e of c.events.slice(0, -1)) expect(['delta', 'toolCall', 'toolCallDelta', 'loading', 'queued', 'dispatched']).toContain(e.type);
      expect(c.events.filter((e) => e.type === 'delta').length).toBeGreaterThanOrEqual(1);
    });

    it('final text equals the concatenated deltas', async () => {
      const text = 'Harbours shelter ships from the open sea.';
      h.scriptNext({ type: 'text', text, chunks: 4 });
      const c = await collectChat(chat(request()));
      const final = finalOf(c);
      expect(deltaText(c)).toBe(text);
      expect(final.message.content).toBe(text);
      expect(final.message.role).toBe('assistant');
      expect(final.finishReason).toBe('stop');
    });

    it('reports usage (> 0), the model, and whole-call timings', async () => {
      const c = await collectChat(chat(request()));
      const final = finalOf(c);
      expect(final.usage.promptTokens).toBeGreaterThan(0);
      expect(final.usage.completionTokens).toBeGreaterThan(0);
      expect(final.model).toBe(h.model);
      if (final.timings.totalMs !== undefined) expect(final.timings.totalMs).toBeGreaterThanOrEqual(0);
      if (final.timings.firstTokenMs !== undefined && final.timings.totalMs !== undefined) {
        expect(final.timings.firstTokenMs).toBeLessThanOrEqual(final.timings.totalMs);
      }
    });

    maybe('structured')('returns structured output that conforms to the requested schema', async () => {
      h.scriptNext({ type: 'structured' });
      const c = await collectChat(chat(request({ format: CONTRACT_SCHEMA })));
      const final = finalOf(c);
      const value: unknown = JSON.parse(final.message.content);
      const validate = new Ajv({ strict: true, allowUnionTypes: true }).compile(CONTRACT_SCHEMA);
      const ok = validate(value);
      expect(validate.errors ?? []).toEqual([]);
      expect(ok).toBe(true);
    });

    maybe('toolCalls')('reports tool calls with object arguments', async () => {
      h.scriptNext({ type: 'toolCall', name: 'lookup', arguments: { city: 'Oslo', limit: 2 } });
      const c = await collectChat(
        chat(
          request({
            tools: [
              {
                name: 'lookup',
                description: 'Find a harbour',
                parameters: {
                  type: 'object',
                  properties: { city: { type: 'string' }, limit: { type: 'integer' } },
                  required: ['city', 'limit'],
                },
              },
            ],
          }),
        ),
      );
      const final = finalOf(c);
      const calls = c.events.filter((e) => e.type === 'toolCall');
      expect(calls).toHaveLength(1);
      expect(calls[0]).toMatchObject({ type: 'toolCall', call: { name: 'lookup', arguments: { city: 'Oslo', limit: 2 } } });
      expect(final.message.toolCalls).toEqual([expect.objectContaining({ name: 'lookup', arguments: { city: 'Oslo', limit: 2 } })]);
      expect(final.finishReason).toBe('toolCalls');
    });

    describe('tools', () => {
      const lookupDef: ToolDefinition = {
        name: 'lookup',
        description: 'Find a harbour',
        parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 40 }, limit: { type: 'integer' } }, required: ['city', 'limit'] },
      };
      const noteDef: ToolDefinition = { name: 'note', description: 'Write a note', parameters: { type: 'object', properties: { text: { type: 'string', maxLength: 40 } } } };

      maybe('toolChoice')('a named tool choice makes that tool called, or the client warns that it cannot', async () => {
        const c = await collectChat(chat(request({ tools: [lookupDef, noteDef], toolChoice: { name: 'note' } })));
        const final = finalOf(c);
        const warned = (final.warnings ?? []).some((w) => w.option === 'toolChoice');
        if (!warned) {
          expect(c.events.filter((e) => e.type === 'toolCall').map((e) => (e as { call: { name: string } }).call.name)).toEqual(['note']);
          expect(final.finishReason).toBe('toolCalls');
        }
      });

      maybe('toolChoice')('tool choice none: no tool call', async () => {
        const c = await collectChat(chat(request({ tools: [lookupDef, noteDef], toolChoice: 'none' })));
        const final = finalOf(c);
        expect(c.events.some((e) => e.type === 'toolCall')).toBe(false);
        expect(final.message.toolCalls ?? []).toEqual([]);
        expect(final.finishReason).not.toBe('toolCalls');
      });

      /**
       * An agent over the harness's client with these tools; the engine is not closed (the harness owns the client).
       * `required` forces the loop's first call to be a tool call (an engine that cannot be steered otherwise, such as
       * random weights under a call grammar, still calls); later calls are `auto`.
       */
      const withTools = (tools: Tool<never, unknown>[], toolLoop?: ToolLoopOptions, toolChoice?: 'required') => {
        const base = request();
        const agent = defineAgent({ name: 'contract-tools', model: base.model, retries: 0, tools, toolLoop, ...(toolChoice ? { toolChoice } : {}), prompt: () => base.messages });
        return createFlotilla({ client: h.client }).run(agent, undefined);
      };
      const lookupTool = (run: (args: { city: string; limit: number }, signal: AbortSignal) => unknown) =>
        defineTool({ name: 'lookup', description: 'Find a harbour', input: lookupDef.parameters, run: (a, { signal }) => run(a as { city: string; limit: number }, signal) });

      maybe('toolLoop', 'toolArguments')('the engine runs a called tool with its arguments and feeds the result back', async () => {
        const seen: unknown[] = [];
        const before = await h.requestCount();
        h.scriptNext({ type: 'toolCall', name: 'lookup', arguments: { city: 'Oslo', limit: 2 } });
        const r = await withTools([lookupTool((a) => (seen.push(a), { harbours: ['Oslo-0', 'Oslo-1'] }))], undefined, 'required').result;
        expect(r.error).toBeUndefined();
        expect(r.status).toBe('succeeded');
        expect(seen).toEqual([{ city: 'Oslo', limit: 2 }]);
        expect(typeof r.output).toBe('string');
        expect(await h.requestCount()).toBe(before + 2);
        expect(r.trace.filter((e) => e.type === 'tool.result')).toEqual([expect.objectContaining({ ok: true, tool: 'lookup', content: '{"harbours":["Oslo-0","Oslo-1"]}' })]);
      });

      maybe('toolRecovery')('a call written as text is recovered: run, marked recovered, and fed back', async () => {
        const seen: unknown[] = [];
        const before = await h.requestCount();
        h.scriptNext({ type: 'toolCallText', name: 'lookup', arguments: { city: 'Oslo', limit: 2 } });
        const r = await withTools([lookupTool((a) => (seen.push(a), 'Oslo: 2 harbours'))]).result;
        expect(r.error).toBeUndefined();
        expect(seen).toEqual([{ city: 'Oslo', limit: 2 }]);
        expect(r.trace.filter((e) => e.type === 'tool.call')).toEqual([expect.objectContaining({ tool: 'lookup', arguments: { city: 'Oslo', limit: 2 }, recovered: true })]);
        expect(typeof r.output).toBe('string');
        expect(r.output).not.toContain('<tool_call>');
        expect(await h.requestCount()).toBe(before + 2);
      });

      maybe('toolLoop', 'parallelToolCalls')('parallel tool calls of one reply run at once, each answered', async () => {
        let running = 0;
        let most = 0;
        h.scriptNext({ type: 'toolCalls', calls: [{ name: 'lookup', arguments: { city: 'Oslo', limit: 1 } }, { name: 'lookup', arguments: { city: 'Bergen', limit: 1 } }] });
        const tool = lookupTool(async ({ city }) => {
          most = Math.max(most, ++running);
          await sleep(40);
          running--;
          return city;
        });
        const r = await withTools([tool]).result;
        expect(r.status).toBe('succeeded');
        expect(most).toBe(2);
        const results = r.trace.filter((e) => e.type === 'tool.result') as { index: number; content: string }[];
        expect(results.sort((a, b) => a.index - b.index).map((e) => e.content)).toEqual(['Oslo', 'Bergen']);
      });

      maybe('toolLoop')('a tool error goes back to the model, which answers', async () => {
        const before = await h.requestCount();
        h.scriptNext({ type: 'toolCall', name: 'lookup', arguments: { city: 'Oslo', limit: 2 } });
        const r = await withTools([lookupTool(() => Promise.reject(new Error('harbour registry offline')))], undefined, 'required').result;
        expect(r.error).toBeUndefined();
        expect(r.status).toBe('succeeded');
        expect(r.trace.find((e) => e.type === 'tool.result')).toMatchObject({ ok: false, error: { kind: 'userCode' }, content: expect.stringContaining('harbour registry offline') });
        expect(await h.requestCount()).toBe(before + 2);
      });

      maybe('toolLoop')('a reply asking for tools past the round cap fails the step, keeping the transcript', async () => {
        const call = { type: 'toolCall', name: 'lookup', arguments: { city: 'Oslo', limit: 1 } } as const;
        h.scriptNext(call);
        // Scripted while the tool runs: the model asks again after the first round.
        const r = await withTools([lookupTool(() => (h.scriptNext(call), 'one'))], { maxRounds: 1 }, 'required').result;
        expect(r.error).toMatchObject({ kind: 'budgetExceeded', details: { budget: 'toolLoop.maxRounds' } });
        expect((r.error!.details!['transcript'] as { role: string }[]).map((m) => m.role)).toEqual(['assistant', 'tool', 'assistant']);
      });

      maybe('toolLoop', 'structured')('structured output with tools: format is never sent together with tools, and the answer conforms', async () => {
        const sent: ChatRequest[] = [];
        // A pass-through that notes each request: the client under test still does all the work.
        const noting: ModelClient = { name: h.client.name, chat: (req, opts) => (sent.push(req), h.client.chat(req, opts)) };
        const base = request();
        // Unscripted after the tool: a server answers in text under tools, and with JSON when a schema is sent.
        const tool = lookupTool(() => 'Oslo: 2');
        const agent = defineAgent({ name: 'contract-structured-tools', model: base.model, retries: 1, tools: [tool], output: jsonSchema(CONTRACT_SCHEMA), prompt: () => base.messages });
        h.scriptNext({ type: 'toolCall', name: 'lookup', arguments: { city: 'Oslo', limit: 2 } });
        const r = await createFlotilla({ client: noting }).run(agent, undefined).result;
        expect(r.error).toBeUndefined();
        const validate = new Ajv({ strict: true, allowUnionTypes: true }).compile(CONTRACT_SCHEMA);
        expect(validate(r.output)).toBe(true);
        expect(sent.length).toBeGreaterThanOrEqual(2);
        for (const req of sent) expect(req.format !== undefined && (req.tools?.length ?? 0) > 0).toBe(false);
        expect(sent[0]!.tools?.length).toBe(1);
      });

      maybe('toolLoop')('cancelling while a tool runs aborts the tool and sends no further request', async () => {
        const before = await h.requestCount();
        let started!: () => void;
        const running = new Promise<void>((r) => (started = r));
        let aborted = false;
        h.scriptNext({ type: 'toolCall', name: 'lookup', arguments: { city: 'Oslo', limit: 1 } });
        const run = withTools([
          lookupTool(
            (_a, signal) =>
              new Promise((_, reject) => {
                started();
                signal.addEventListener('abort', () => ((aborted = true), reject(signal.reason)));
              }),
          ),
        ], undefined, 'required');
        await running;
        await run.cancel();
        const r = await run.result;
        expect(r.status).toBe('cancelled');
        expect(aborted).toBe(true);
        await sleep(50);
        expect(await h.requestCount()).toBe(before + 1);
      });
    });

    maybe('cancellation')('unsubscribing cancels the request on the serving side', async () => {
      h.scriptNext({ type: 'trickle', text: 'x'.repeat(60), chunks: 60, intervalMs: 50 });
      const { sawFinal } = await cancelWhileGenerating(chat(request()), 300);
      expect(sawFinal).toBe(false);
      expect(await eventually(() => h.observedCancellation(), waitMs)).toBe(true);
    });

    maybe('cancellation')('unsubscribing before the first byte cancels too', async () => {
      h.scriptNext({ type: 'hang' });
      const sub = chat(request()).subscribe({ error: () => undefined });
      await sleep(100);
      sub.unsubscribe();
      expect(await eventually(() => h.observedCancellation(), waitMs)).toBe(true);
    });

    maybe('signal')('aborting the call signal fails with aborted and cancels on the serving side', async () => {
      h.scriptNext({ type: 'trickle', text: 'y'.repeat(60), chunks: 60, intervalMs: 50 });
      const controller = new AbortController();
      const done = collectChat(chat(request(), { signal: controller.signal }));
      await sleep(150);
      controller.abort();
      const c = await done;
      expect(FlotillaError.is(c.error, 'aborted')).toBe(true);
      expect(c.events.some((e) => e.type === 'final')).toBe(false);
      expect(await eventually(() => h.observedCancellation(), waitMs)).toBe(true);
    });

    maybe('timeouts')('a first-token deadline fires on a hanging server and cancels the request', async () => {
      h.scriptNext({ type: 'hang' });
      const r = await throughEngine({ firstTokenMs: 250, stallMs: 5000, totalMs: 5000 });
      expect(r.error).toMatchObject({ kind: 'timeout', details: { deadline: 'firstToken' } });
      expect(await eventually(() => h.observedCancellation(), waitMs)).toBe(true);
    });

    maybe('timeouts')('a total deadline fires on a slow trickle and cancels the request', async () => {
      h.scriptNext({ type: 'trickle', text: 'z'.repeat(40), chunks: 40, intervalMs: 50 });
      const r = await throughEngine({ firstTokenMs: 2000, stallMs: 2000, totalMs: 400 });
      expect(r.error).toMatchObject({ kind: 'timeout', details: { deadline: 'total' } });
      expect(r.trace.filter((e) => e.type === 'step.start')).toHaveLength(1);
      expect(await eventually(() => h.observedCancellation(), waitMs)).toBe(true);
    });

    describe('errors', () => {
      for (const kind of errorKinds) {
        maybe('errors')(`reports ${kind} as a FlotillaError (retryable: ${ERROR_RETRYABLE[kind]})`, async () => {
          if (kind !== 'modelNotFound') h.scriptNext({ type: 'error', kind });
          const req = kind === 'modelNotFound' ? request({ model: h.missingModel }) : request();
          const c = await collectChat(chat(req));
          expect(c.events.some((e) => e.type === 'final')).toBe(false);
          expect(FlotillaError.is(c.error)).toBe(true);
          expect((c.error as FlotillaError).kind).toBe(kind);
          expect((c.error as FlotillaError).retryable).toBe(ERROR_RETRYABLE[kind]);
        });
      }

      maybe('midStream')('an error inside the stream fails the call, retryably', async () => {
        h.scriptNext({ type: 'midStreamError', afterChunks: 2, message: 'an error was encountered while running the model' });
        const c = await collectChat(chat(request()));
        expect(c.events.some((e) => e.type === 'final')).toBe(false);
        expect(FlotillaError.is(c.error)).toBe(true);
        expect(['overloaded', 'unavailable'] as ErrorKind[]).toContain((c.error as FlotillaError).kind);
        expect((c.error as FlotillaError).retryable).toBe(true);
      });

      maybe('midStream')('a dropped connection fails the call as unavailable, retryably', async () => {
        h.scriptNext({ type: 'drop', afterChunks: 2 });
        const c = await collectChat(chat(request()));
        expect(c.events.some((e) => e.type === 'final')).toBe(false);
        expect(FlotillaError.is(c.error, 'unavailable')).toBe(true);
        expect((c.error as FlotillaError).retryable).toBe(true);
      });
    });

    maybe('concurrency')('serves 5 concurrent calls, each to completion', async () => {
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          collectChat(chat(request({ messages: [{ role: 'user', content: `Question number ${i} about harbours.` }] }))),
        ),
      );
      for (const c of results) {
        expect(c.error).toBeUndefined();
        expect(c.completed).toBe(true);
        const final = finalOf(c);
        expect(final.message.content).toBe(deltaText(c));
        expect(final.message.content.length).toBeGreaterThan(0);
      }
    });
  });
}
