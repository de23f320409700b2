import type { Subscription, Unsubscribable } from 'rxjs';
import type { ChatMessage } from '../model/chat-message';
import type { ChatCallOptions, ChatRequest } from '../model/chat-request';
import type { ChatEvent, FinalEvent } from '../model/chat-event';
import type { ModelClient } from '../model/model-client.interface';
import type { CallStats, ContextFit, ToolDeltaRunEvent } from '../events/run-event';
import { FlotillaError } from '../errors/flotilla-error';
import { Errors } from '../errors/errors';
import type { ResolvedAgent } from './agent-registry';
import type { RunContext } from './run-context';
import type { LimiterWaiter } from './limiter';
import { DeadlineTracker, type TimeoutListener } from './deadline-tracker';
import type { DeadlineHandle, DeadlineTarget } from './deadline-timers';
import { retryDelay } from './retry-policy';
import { toErrorInfo } from './error-info';
import type { ContextGuard, FittedRequest } from './context-guard';
import type { AgentVariant } from '../agents/agent-options';
import { recoverToolCalls } from '../tools/recover-tool-calls';
import { ToolLoop, finalAnswerRequest } from './tool-loop';

export interface CallOutcome {
  output: unknown;
  call: CallStats;
}

/** Where an agent call reports: its one outcome, or its error. */
export interface CallSink {
  /** The step's key: events carry it. */
  readonly key: string;
  /** The step's name, for errors raised by user code. */
  readonly name: string;
  next(outcome: CallOutcome): void;
  error(error: unknown): void;
  complete(): void;
}

const RETRY_TAG = 2;
const LOOP_TAG = 3;

/** What a router said about a call (its ticket, the endpoint of the last attempt). */
interface Routed {
  ticket?: number;
  endpoint?: string;
}
/**
 * Kept beside the calls rather than in them: only calls through a router have it, and an
 * in-flight AgentCall stays as small as it was for every other client.
 */
const ROUTED = new WeakMap<AgentCall, Routed>();

function routedOf(call: AgentCall): Routed {
  let r = ROUTED.get(call);
  if (!r) ROUTED.set(call, (r = {}));
  return r;
}

/**
 * One agent step: prompt, model call under the per-agent then the run-wide limit with
 * three deadlines, structured-output check, and retries from the agent's one budget
 * (transient errors with backoff, invalid output at once with the error fed back).
 *
 * The engine's hot path, as one object with methods rather than an operator chain with
 * closures (an Observable, a subscriber and several closures per call each): an in-flight
 * call stays small. Its behaviour is marble-tested where it runs (agent-call.spec.ts).
 */
export class AgentCall implements LimiterWaiter, TimeoutListener, DeadlineTarget, Unsubscribable {
  readonly priority: number;
  private attempt = 0;
  private feedback: ChatMessage[] | undefined;
  private queueMs = 0;
  private enqueuedAt = 0;
  private holdsAgentSlot = false;
  private holdsRunSlot = false;
  private waitingFor: 'agent' | 'run' | undefined;
  private request!: ChatRequest;
  private tracker: DeadlineTracker | undefined;
  private sub: Subscription | undefined;
  private retryTimer: DeadlineHandle | undefined;
  private final: FinalEvent | undefined;
  private fit: ContextFit | undefined;
  /** The model a context overflow moved this call to. */
  private fallback: string | undefined;
  private sentAt = 0;
  private firstAt = 0;
  private finished = false;
  private callOptions: ChatCallOptions;
  /** Made at the first reply that calls tools; its deadline with it. */
  private loop: ToolLoop | undefined;
  private loopDeadline: DeadlineHandle | undefined;

  constructor(
    private readonly agent: ResolvedAgent,
    private readonly input: unknown,
    private readonly ctx: RunContext,
    private readonly client: ModelClient,
    private readonly sink: CallSink,
    private readonly guard: ContextGuard | undefined,
    private readonly variant: AgentVariant | undefined,
  ) {
    this.priority = agent.priority;
    this.callOptions = { priority: this.priority, agent: agent.name, conversation: ctx.runId, step: sink.key };
  }

  start(): this {
    const { ctx, agent } = this;
    let fitted: FittedRequest | Promise<FittedRequest>;
    try {
      checkBudgets(ctx, agent.name);
      ctx.modelCalls++;
      const variant = this.variant;
      const model = this.fallback ?? variant?.model ?? agent.model;
      let messages: readonly ChatMessage[];
      try {
        messages = agent.messages(this.input, { model, attempt: this.attempt, variant: variant?.name });
      } catch (e) {
        throw Errors.userCode(e, { fn: 'prompt()', agent: agent.name, step: this.sink.name });
      }
      const loop = this.loop;
      if (loop) messages = messages.concat(loop.transcript);
      const request: ChatRequest = {
        model,
        messages: this.feedback ? messages.concat(this.feedback) : (messages as ChatMessage[]),
        format: agent.output?.jsonSchema,
        options: variant?.options ? { ...agent.options, ...variant.options } : agent.options,
      };
      if (agent.providerOptions) request.providerOptions = agent.providerOptions;
      const tools = agent.tools;
      // Never `format` together with `tools`: servers then constrain the whole reply to the
      // schema and no tool call can happen. The structured answer comes from a last call without tools.
      if (tools && !loop?.finalCall) {
        request.format = undefined;
        request.tools = tools.definitions;
        const choice = loop ? undefined : tools.choice;
        if (choice !== undefined) request.toolChoice = choice;
      }
      fitted = this.guard ? this.guard.fit(request, agent.context, agent.name) : { request };
    } catch (e) {
      this.fail(e);
      return this;
    }
    if (fitted instanceof Promise) {
      // The lookup is a network call: it runs under this attempt's first-token deadline,
      // and a timeout there is a retryable timeout of the attempt.
      const tracker = new DeadlineTracker(this.agent.deadlines, this.ctx.clock, this);
      this.tracker = tracker;
      tracker.begin();
      fitted.then(
        (f) => {
          if (this.tracker !== tracker) return; // this attempt ended meanwhile
          this.admit(f);
        },
        (e) => {
          if (this.tracker === tracker) this.fail(e);
        },
      );
    } else this.admit(fitted);
    return this;
  }

  /** Takes the per-agent, then the run-wide slot (or queues for them), then sends. */
  private admit(fitted: FittedRequest): void {
    const { ctx, agent } = this;
    this.request = fitted.request;
    this.fit = fitted.fit ?? this.fit;
    this.enqueuedAt = 0;
    if (agent.limiter) {
      if (!agent.limiter.acquire(this)) return void this.queue('agent');
      this.holdsAgentSlot = true;
    }
    if (!ctx.limiter.acquire(this)) return void this.queue('run');
    this.holdsRunSlot = true;
    this.send();
  }

  /** Called by a limiter when this call gets the slot it waited for. */
  grant(): void {
    if (this.enqueuedAt) this.queueMs += performance.now() - this.enqueuedAt;
    if (this.waitingFor === 'agent') {
      this.holdsAgentSlot = true;
      this.waitingFor = undefined;
      if (!this.ctx.limiter.acquire(this)) {
        this.queue('run');
        return;
      }
    }
    this.waitingFor = undefined;
    this.holdsRunSlot = true;
    this.send();
  }

  private queue(which: 'agent' | 'run'): this {
    this.waitingFor = which;
    this.enqueuedAt = performance.now();
    this.tracker?.suspend(); // armed for a lookup: the limiter's wait does not count
    return this;
  }

  private send(): void {
    let tracker = this.tracker;
    if (tracker) tracker.resume();
    else this.tracker = tracker = new DeadlineTracker(this.agent.deadlines, this.ctx.clock, this);
    this.final = undefined;
    this.firstAt = 0;
    this.sentAt = performance.now();
    const sub = this.client.chat(this.request, this.callOptions).subscribe(this);
    if (this.tracker !== tracker) sub.unsubscribe(); // settled synchronously
    else if (!sub.closed) {
      this.sub = sub;
      tracker.begin();
    }
  }

  // Observer of the model stream.
  next(event: ChatEvent): void {
    if (this.finished || !this.tracker) return;
    this.tracker.observe(event);
    const type = event.type;
    if (type === 'delta') {
      if (this.firstAt === 0) this.firstAt = performance.now();
      this.ctx.emit({ type: 'token', runId: this.ctx.runId, key: this.sink.key, at: this.ctx.now(), text: event.text });
    } else if (type === 'final') {
      // Acted on at completion: the call holds its slots until the client's stream ends.
      this.final = event;
    } else if (type === 'toolCall') {
      if (this.firstAt === 0) this.firstAt = performance.now();
    } else if (type === 'toolCallDelta') {
      if (this.firstAt === 0) this.firstAt = performance.now();
      const delta: ToolDeltaRunEvent = { type: 'tool.delta', runId: this.ctx.runId, key: this.sink.key, at: this.ctx.now(), index: event.index, text: event.argumentsDelta };
      if (event.name !== undefined) delta.tool = event.name;
      this.ctx.emit(delta);
    } else if (type === 'dispatched') {
      const routed = routedOf(this);
      routed.endpoint = event.endpoint;
      if (event.ticket !== undefined) routed.ticket = event.ticket;
    } else if (type === 'queued') routedOf(this).ticket = event.ticket;
    else if (event.endpoint !== undefined) routedOf(this).endpoint = event.endpoint; // loading
  }

  error(e: unknown): void {
    if (this.finished || !this.tracker) return;
    this.settle();
    this.retryOrFail(FlotillaError.from(e));
  }

  complete(): void {
    if (this.finished || !this.tracker) return;
    this.settle();
    const final = this.final;
    if (final) this.onFinal(final);
    else this.retryOrFail(new FlotillaError('unavailable', 'model stream ended without a final event', { details: { model: this.agent.model } }));
  }

  onTimeout(error: FlotillaError): void {
    // Armed, yet neither sent nor waiting for a slot: still waiting for its context-window lookup.
    const during = this.sub === undefined && this.waitingFor === undefined ? { during: 'contextWindowLookup' } : undefined;
    const endpoint = ROUTED.get(this)?.endpoint;
    this.settle();
    if (!during && endpoint === undefined) return this.retryOrFail(error);
    // A router said where the call went: a retry goes to another endpoint (see RetryHint),
    // so a timeout while that one loaded the model is worth retrying there.
    const retryable = error.retryable || endpoint !== undefined;
    this.retryOrFail(error.with({ retryable, details: { ...during, ...(endpoint === undefined ? {} : { endpoint }) } }));
  }

  onDeadline(tag: number): void {
    if (tag === LOOP_TAG) return this.onLoopDeadline();
    if (tag !== RETRY_TAG || this.finished) return;
    this.retryTimer = undefined;
    this.start();
  }

  unsubscribe(): void {
    if (this.finished) return;
    this.finished = true;
    this.settle();
    if (this.retryTimer) this.ctx.clock.cancel(this.retryTimer);
    if (this.loop) this.endLoop(new FlotillaError('aborted', 'step cancelled'));
  }

  private onFinal(event: FinalEvent): void {
    const { ctx, agent } = this;
    ctx.usage.promptTokens += event.usage.promptTokens;
    ctx.usage.completionTokens += event.usage.completionTokens;
    if (this.loop) this.loop.addUsage(event.usage);
    const toolCalls = event.message.toolCalls;
    if (toolCalls !== undefined && toolCalls.length > 0) return this.onToolCalls(event);
    if (agent.tools && this.loop?.finalCall !== true && (this.loop !== undefined || agent.tools.choice !== 'none')) {
      // Tools were offered and the server returned no call: the model may have written one in its text.
      const recovered = recoverToolCalls(event.message.content, agent.tools.byName);
      if (recovered) return this.onToolCalls({ ...event, finishReason: 'toolCalls', message: { ...event.message, content: recovered.content, toolCalls: recovered.calls } });
    }
    let parsed: unknown;
    try {
      if (agent.tools && agent.output && this.loop?.finalCall !== true) {
        // Answered under tools, without `format`: take the reply if it already fits the schema,
        // else ask once more, constrained by the schema and without tools.
        const draft = tryParse(agent, event);
        if (draft === NO_FIT) return this.askForFinalAnswer(event);
        parsed = draft;
      } else parsed = parseReply(agent, event);
    } catch (e) {
      this.retryOrFail(FlotillaError.from(e));
      return;
    }
    let output = parsed;
    const result = agent.spec.result as ((parsed: unknown, input: unknown) => unknown) | undefined;
    if (result) {
      try {
        output = result(parsed, this.input);
      } catch (e) {
        this.fail(Errors.userCode(e, { fn: 'result()', agent: agent.name, step: this.sink.name }));
        return;
      }
    }
    const timings = event.timings;
    if (this.queueMs > 0) timings.queueMs = (timings.queueMs ?? 0) + this.queueMs;
    // Clients that do not time calls themselves get the engine's view (send -> first token -> end).
    if (timings.totalMs === undefined) timings.totalMs = performance.now() - this.sentAt;
    if (timings.firstTokenMs === undefined && this.firstAt !== 0) timings.firstTokenMs = this.firstAt - this.sentAt;
    this.finished = true;
    // Optional fields are assigned, not spread: a spread makes V8 build the literal the slow way.
    const call: CallStats = { agent: agent.name, model: event.model, endpoint: event.endpoint, attempts: this.attempt + 1, usage: event.usage, timings: event.timings };
    if (this.fit) call.context = this.fit;
    if (this.variant) call.variant = this.variant.name;
    if (event.warnings?.length) call.warnings = event.warnings;
    const loop = this.loop;
    if (loop) {
      call.usage = loop.usage; // every model call of the loop
      call.toolRounds = loop.round;
      call.toolCalls = loop.calls;
      this.endLoop(undefined);
    }
    this.sink.next({ output, call });
    this.sink.complete();
  }

  private retryOrFail(error: FlotillaError): void {
    const n = this.attempt + 1;
    if (error.kind === 'contextOverflow' && this.guard && n <= this.agent.retries) {
      // The server counted more tokens than we estimated: apply the policy's next step.
      const next = this.guard.afterOverflow(this.request, this.agent.context, this.fit);
      if (next) {
        this.attempt = n;
        this.fallback = next.request.model !== this.agent.model ? next.request.model : this.fallback;
        this.ctx.emit({ type: 'retry', runId: this.ctx.runId, key: this.sink.key, at: this.ctx.now(), attempt: n, delayMs: 0, error: toErrorInfo(error) });
        this.ctx.modelCalls++;
        this.admit(next);
        return;
      }
    }
    const delayMs = retryDelay(error, n, this.agent.retryPolicy);
    if (delayMs === undefined) return this.fail(error);
    this.attempt = n;
    this.hintRetry(error);
    if (error.kind === 'badOutput') this.feedback = feedbackFor(error);
    this.ctx.emit({ type: 'retry', runId: this.ctx.runId, key: this.sink.key, at: this.ctx.now(), attempt: n, delayMs, error: toErrorInfo(error) });
    if (delayMs === 0) this.start();
    else this.retryTimer = this.ctx.clock.schedule(this, RETRY_TAG, delayMs);
  }

  /** Tells a router what the retried attempt was: its queue place, where it ran, why it failed. */
  private hintRetry(error: FlotillaError): void {
    const at = error.details['endpoint'];
    const routed = ROUTED.get(this);
    const endpoint = typeof at === 'string' ? at : routed?.endpoint;
    const ticket = routed?.ticket;
    const { retry: _previous, ...options } = this.callOptions;
    this.callOptions = {
      ...options,
      retry: { kind: error.kind, ...(ticket === undefined ? {} : { ticket }), ...(endpoint === undefined ? {} : { endpoint }) },
    };
  }

  private fail(error: unknown): void {
    this.finished = true;
    this.settle();
    if (this.loop) this.endLoop(error);
    this.sink.error(FlotillaError.from(error));
  }

  /** A reply that calls tools: run them with the model's slots released, then call the model again. */
  private onToolCalls(event: FinalEvent): void {
    const { agent, ctx } = this;
    const tools = agent.tools;
    if (!tools) {
      const names = event.message.toolCalls!.map((c) => c.name);
      return this.fail(
        new FlotillaError('badOutput', `agent "${agent.name}" has no tools, but the model called ${names.map((n) => `"${n}"`).join(', ')} instead of answering`, {
          retryable: false,
          details: { agent: agent.name, model: event.model, toolCalls: event.message.toolCalls },
        }),
      );
    }
    let loop = this.loop;
    if (!loop) {
      loop = this.loop = new ToolLoop(agent, tools, ctx, this.sink.key, ctx.engine.toolExecutor);
      loop.addUsage(event.usage);
      this.loopDeadline = ctx.clock.schedule(this, LOOP_TAG, tools.deadlineMs);
    }
    this.feedback = undefined;
    const reply: ChatMessage = { role: 'assistant', content: event.message.content, toolCalls: event.message.toolCalls };
    loop.runRound(reply).then(
      () => {
        if (!this.finished && this.loop === loop) this.start();
      },
      (e) => {
        if (!this.finished) this.fail(Errors.userCode(e, { fn: 'a tool', agent: agent.name, step: this.sink.key }));
      },
    );
  }

  private askForFinalAnswer(event: FinalEvent): void {
    let loop = this.loop;
    if (!loop) {
      loop = this.loop = new ToolLoop(this.agent, this.agent.tools!, this.ctx, this.sink.key, this.ctx.engine.toolExecutor);
      loop.addUsage(event.usage);
    }
    loop.finalCall = true;
    loop.transcript.push(...finalAnswerRequest(event.message.content));
    this.start();
  }

  private onLoopDeadline(): void {
    this.loopDeadline = undefined;
    const loop = this.loop;
    if (this.finished || !loop) return;
    this.fail(loop.failure('timeout', `the tool loop exceeded its deadline of ${this.agent.tools!.deadlineMs} ms (toolLoop.deadlineMs)`, { deadline: 'toolLoop', limitMs: this.agent.tools!.deadlineMs }));
  }

  private endLoop(reason: unknown): void {
    if (this.loopDeadline) this.ctx.clock.cancel(this.loopDeadline);
    this.loopDeadline = undefined;
    if (reason !== undefined) this.loop?.abort(reason);
  }

  /** Ends the current attempt: stops its deadlines and stream, frees or withdraws its slots. */
  private settle(): void {
    this.tracker?.stop();
    this.tracker = undefined;
    const sub = this.sub;
    this.sub = undefined;
    sub?.unsubscribe();
    if (this.waitingFor === 'agent') this.agent.limiter!.withdraw(this);
    else if (this.waitingFor === 'run') this.ctx.limiter.withdraw(this);
    this.waitingFor = undefined;
    if (this.holdsRunSlot) {
      this.holdsRunSlot = false;
      this.ctx.limiter.release();
    }
    if (this.holdsAgentSlot) {
      this.holdsAgentSlot = false;
      this.agent.limiter!.release();
    }
  }
}

/** The reply as the agent's declared output (validated), or its text; `badOutput` when it does not fit. */
function parseReply(agent: ResolvedAgent, event: FinalEvent): unknown {
  const schema = agent.output;
  const raw = event.message.content;
  let parsed: unknown = raw;
  if (schema) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (cause) {
      throw badOutput(agent, raw, `reply is not JSON (${(cause as Error).message})`);
    }
    const checked = schema.parse(json);
    if (!checked.ok) throw badOutput(agent, raw, checked.error);
    parsed = checked.value;
  }
  return parsed;
}

const NO_FIT = Symbol('no fit');

/** The reply as the declared output, or NO_FIT. */
function tryParse(agent: ResolvedAgent, event: FinalEvent): unknown {
  let json: unknown;
  try {
    json = JSON.parse(event.message.content);
  } catch {
    return NO_FIT;
  }
  const checked = agent.output!.parse(json);
  return checked.ok ? checked.value : NO_FIT;
}

function badOutput(agent: ResolvedAgent, raw: string, problem: string): FlotillaError {
  return new FlotillaError('badOutput', `agent "${agent.name}" (model ${agent.model}): ${problem}`, {
    details: { agent: agent.name, model: agent.model, raw, problem },
  });
}

function feedbackFor(error: FlotillaError): ChatMessage[] {
  return [
    { role: 'assistant', content: String(error.details['raw'] ?? '') },
    {
      role: 'user',
      content: `Your reply did not match the required JSON Schema: ${String(error.details['problem'])}. Reply again with JSON only, conforming to the schema.`,
    },
  ];
}

function checkBudgets(ctx: RunContext, agent: string): void {
  const { maxModelCalls, maxTokens } = ctx.budgets;
  if (maxModelCalls !== undefined && ctx.modelCalls >= maxModelCalls) {
    throw new FlotillaError('budgetExceeded', `run budget of ${maxModelCalls} model calls is spent (next call: agent "${agent}")`, {
      details: { budget: 'maxModelCalls', limit: maxModelCalls, agent },
    });
  }
  const used = ctx.usage.promptTokens + ctx.usage.completionTokens;
  if (maxTokens !== undefined && used >= maxTokens) {
    throw new FlotillaError('budgetExceeded', `run budget of ${maxTokens} tokens is spent (${used} used; next call: agent "${agent}")`, {
      details: { budget: 'maxTokens', limit: maxTokens, used, agent },
    });
  }
}
