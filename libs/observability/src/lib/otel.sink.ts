import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { ErrorInfo, RunEvent, StepEndEvent, StepStartEvent, ToolResultRunEvent } from '@flotilla/core';
import { ATTR, GEN_AI_OPERATION } from './otel.attributes';
import { redactText } from './redact';
import { tokensPerSecond } from './run-summary';

export const DEFAULT_TRACER_NAME = '@flotilla/observability';
/** @default 'flotilla' (a custom value, as the conventions allow, when the backend is not known) */
export const DEFAULT_GEN_AI_PROVIDER = 'flotilla';

export interface OtelSinkOptions {
  /** @default the global tracer provider's `@flotilla/observability` tracer */
  tracer?: Tracer;
  /** `gen_ai.provider.name` (and `gen_ai.system`) of model calls, fixed or per endpoint. @default 'flotilla' */
  provider?: string | ((endpoint: string | undefined, model: string) => string);
  /** Wall clock (epoch ms) read at `run.start`; every span time is that plus the event's `at`. */
  now?: () => number;
  /**
   * Which steps get spans: `all`, or `calls` (agent steps and their model calls hang
   * straight under the run: fewer spans, about 30 % less tracing cost on a typical chain).
   * @default 'all'
   */
  steps?: 'all' | 'calls';
}

/**
 * An open span: a step's, or the run's own (`key` undefined). A step left out of the trace
 * (an unsampled run, a structural step with `steps: 'calls'`) is entered under its key as
 * its parent's `OpenSpan`, whose `key` then differs from the step's: no object for it, and
 * its end must not end the parent. Agent calls also keep their start and the current
 * attempt's start, for the model-call spans.
 */
class OpenSpan {
  /** Made on the first child, once per parent. */
  ctx: Context | undefined = undefined;
  attemptAt: number;
  retries = 0;

  constructor(
    readonly key: string | undefined,
    readonly span: Span,
    /** The step.start of an agent call; undefined for other steps and the run. */
    readonly call: StepStartEvent | undefined,
  ) {
    this.attemptAt = call?.at ?? 0;
  }

  context(): Context {
    return (this.ctx ??= trace.setSpan(ROOT_CONTEXT, this.span));
  }
}

/** One run's spans: keys repeat across runs, so every run has its own. */
interface RunSpans {
  /** Wall-clock origin of the run (epoch ms): span times are this plus the events' `at`. */
  t0: number;
  run: OpenSpan;
  /** Open step spans by step key. */
  steps: Map<string, OpenSpan>;
}

/**
 * Turns the run event stream into OpenTelemetry spans: one per run, one per step (nested
 * by the events' parent keys, the step key in `flotilla.step.key`) and one per model call
 * attempt under its agent step, with GenAI attributes. Span times are the events' times,
 * so a span tree read from a trace file and one exported live agree. State is kept per run
 * and dropped at its `run.end`.
 */
export class OtelSink {
  private readonly tracer: Tracer;
  private readonly provider: OtelSinkOptions['provider'];
  private readonly now: () => number;
  private readonly callsOnly: boolean;
  private readonly runs = new Map<string, RunSpans>();

  constructor(options: OtelSinkOptions = {}) {
    this.tracer = options.tracer ?? trace.getTracer(DEFAULT_TRACER_NAME);
    this.provider = options.provider ?? DEFAULT_GEN_AI_PROVIDER;
    this.now = options.now ?? (() => performance.timeOrigin + performance.now());
    this.callsOnly = options.steps === 'calls';
  }

  next(e: RunEvent): void {
    switch (e.type) {
      case 'run.start': {
        const t0 = this.now();
        const span = this.tracer.startSpan(
          `run ${e.chain}`,
          { kind: SpanKind.INTERNAL, startTime: t0, attributes: { [ATTR.RUN_ID]: e.runId, [ATTR.CHAIN]: e.chain } },
          context.active(),
        );
        this.runs.set(e.runId, { t0, run: new OpenSpan(undefined, span, undefined), steps: new Map() });
        return;
      }
      case 'step.start':
        return this.startStep(e);
      case 'retry': {
        const run = this.runs.get(e.runId);
        const open = run?.steps.get(e.key);
        if (!open?.call || open.key !== e.key) return;
        this.modelCall(open, run!.t0, e.at, {}, e.error);
        open.retries++;
        open.attemptAt = e.at + e.delayMs;
        return;
      }
      case 'step.end':
        return this.endStep(e);
      case 'tool.result':
        return this.toolCall(e);
      case 'step.error': {
        const run = this.runs.get(e.runId);
        const open = run && this.take(run, e.key);
        if (!open) return;
        const t0 = run!.t0;
        if (open.call) {
          this.modelCall(open, t0, e.at, {}, e.error);
          open.span.setAttribute(ATTR.RETRY_COUNT, open.retries);
        }
        fail(open.span, e.error);
        open.span.end(t0 + e.at);
        return;
      }
      case 'run.end': {
        const run = this.runs.get(e.runId);
        if (run === undefined) return;
        this.runs.delete(e.runId);
        const r = e.result;
        const end = run.t0 + e.at;
        // The engine ends every step before the run; this only sweeps up after a broken stream.
        for (const [key, open] of run.steps) if (open.key === key) open.span.end(end);
        const attributes: Attributes = {
          [ATTR.STATUS]: r.status,
          [ATTR.MODEL_CALLS]: r.modelCalls,
          [ATTR.GEN_AI_USAGE_INPUT_TOKENS]: r.usage.promptTokens,
          [ATTR.GEN_AI_USAGE_OUTPUT_TOKENS]: r.usage.completionTokens,
        };
        for (const agent in r.variants) attributes[`${ATTR.VARIANT}.${agent}`] = r.variants[agent];
        const span = run.run.span;
        span.setAttributes(attributes);
        if (r.error) fail(span, r.error);
        span.end(end);
        return;
      }
    }
  }

  /**
   * The run will not end (its events stopped short: a subscriber that left, a trace file
   * of a crashed process): its open spans end now, marked as aborted.
   */
  abandon(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    this.runs.delete(runId);
    const end = this.now();
    for (const [key, open] of run.steps) if (open.key === key) abort(open.span, end);
    abort(run.run.span, end);
  }

  private startStep(e: StepStartEvent): void {
    const run = this.runs.get(e.runId);
    if (run === undefined) return;
    const parent = e.parentKey === undefined ? run.run : run.steps.get(e.parentKey);
    if (!parent) return;
    if (!parent.span.isRecording() || (this.callsOnly && e.kind !== 'call')) {
      // An unsampled run, or a structural step left out: the parent's span stands in for it.
      run.steps.set(e.key, parent);
      return;
    }
    const call = e.kind === 'call';
    const attributes: Attributes = { [ATTR.RUN_ID]: e.runId, [ATTR.STEP]: e.name, [ATTR.STEP_KEY]: e.key, [ATTR.STEP_KIND]: e.kind };
    if (e.index !== undefined) attributes[ATTR.INDEX] = e.index;
    if (call) {
      attributes[ATTR.GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION.INVOKE_AGENT;
      if (e.agent !== undefined) attributes[ATTR.GEN_AI_AGENT_NAME] = attributes[ATTR.AGENT] = e.agent;
      if (e.model !== undefined) attributes[ATTR.GEN_AI_REQUEST_MODEL] = e.model;
      if (e.variant !== undefined) attributes[ATTR.VARIANT] = e.variant;
    }
    // Span names stay low-cardinality: the name (id, agent or kind), never the key.
    const span = this.tracer.startSpan(
      call ? `${GEN_AI_OPERATION.INVOKE_AGENT} ${e.agent ?? e.name}` : e.name === e.kind ? e.kind : `${e.kind} ${e.name}`,
      { kind: SpanKind.INTERNAL, startTime: run.t0 + e.at, attributes },
      parent.context(),
    );
    run.steps.set(e.key, new OpenSpan(e.key, span, call ? e : undefined));
  }

  /** Removes the step's entry; the span to end, or undefined when the step had none of its own. */
  private take(run: RunSpans, key: string): OpenSpan | undefined {
    const open = run.steps.get(key);
    if (!open) return undefined;
    run.steps.delete(key);
    return open.key === key ? open : undefined;
  }

  private endStep(e: StepEndEvent): void {
    const run = this.runs.get(e.runId);
    const open = run && this.take(run, e.key);
    if (!open) return;
    const t0 = run!.t0;
    if (open.call) {
      // One attribute object for both spans: the SDK copies values on set.
      const attributes = callAttributes(open, e);
      open.span.setAttributes(attributes);
      this.modelCall(open, t0, e.at, attributes);
    }
    open.span.end(t0 + e.at);
  }

  /** A tool call's span under its agent step, from its start (the result's time less its duration) to its result. */
  private toolCall(e: ToolResultRunEvent): void {
    const run = this.runs.get(e.runId);
    const open = run?.steps.get(e.key);
    if (!open || !open.span.isRecording()) return;
    const attributes: Attributes = {
      [ATTR.GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION.EXECUTE_TOOL,
      [ATTR.GEN_AI_TOOL_NAME]: e.tool,
      [ATTR.GEN_AI_TOOL_TYPE]: 'function',
      [ATTR.TOOL_ROUND]: e.round,
      [ATTR.TOOL_INDEX]: e.index,
      [ATTR.STEP_KEY]: e.key,
    };
    if (e.callId !== undefined) attributes[ATTR.GEN_AI_TOOL_CALL_ID] = e.callId;
    const end = run!.t0 + e.at;
    const span = this.tracer.startSpan(`${GEN_AI_OPERATION.EXECUTE_TOOL} ${e.tool}`, { kind: SpanKind.INTERNAL, startTime: end - e.ms, attributes }, open.context());
    if (e.error) fail(span, e.error);
    span.end(end);
  }

  /** The span of one model-call attempt, from its start to `endAt` (known only when it ends). */
  private modelCall(open: OpenSpan, t0: number, endAt: number, attributes: Attributes, error?: ErrorInfo): void {
    const s = open.call!;
    const model = (attributes[ATTR.GEN_AI_RESPONSE_MODEL] as string | undefined) ?? s.model ?? '';
    const endpoint = attributes[ATTR.ENDPOINT] as string | undefined;
    const provider = typeof this.provider === 'function' ? this.provider(endpoint, model) : this.provider!;
    attributes[ATTR.GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION.CHAT;
    attributes[ATTR.GEN_AI_PROVIDER_NAME] = attributes[ATTR.GEN_AI_SYSTEM] = provider;
    attributes[ATTR.ATTEMPT] = open.retries;
    if (s.agent !== undefined) attributes[ATTR.GEN_AI_AGENT_NAME] = attributes[ATTR.AGENT] = s.agent;
    if (s.model !== undefined) attributes[ATTR.GEN_AI_REQUEST_MODEL] = s.model;
    if (s.variant !== undefined) attributes[ATTR.VARIANT] = s.variant;
    const span = this.tracer.startSpan(
      `${GEN_AI_OPERATION.CHAT} ${model}`,
      { kind: SpanKind.CLIENT, startTime: t0 + Math.min(open.attemptAt, endAt), attributes },
      open.context(),
    );
    if (error) fail(span, error);
    span.end(t0 + endAt);
  }
}

/** What the step's end tells about the call that answered (on both the step and the model-call span). */
function callAttributes(open: OpenSpan, e: StepEndEvent): Attributes {
  const a: Attributes = { [ATTR.RETRY_COUNT]: open.retries };
  const c = e.call;
  if (!c) return a;
  a[ATTR.GEN_AI_RESPONSE_MODEL] = c.model;
  a[ATTR.GEN_AI_USAGE_INPUT_TOKENS] = c.usage.promptTokens;
  a[ATTR.GEN_AI_USAGE_OUTPUT_TOKENS] = c.usage.completionTokens;
  if (c.endpoint !== undefined) a[ATTR.ENDPOINT] = c.endpoint;
  if (c.variant !== undefined) a[ATTR.VARIANT] = c.variant;
  const t = c.timings;
  if (t.queueMs !== undefined) a[ATTR.QUEUE_MS] = t.queueMs;
  if (t.loadMs !== undefined) a[ATTR.LOAD_MS] = t.loadMs;
  if (t.firstTokenMs !== undefined) a[ATTR.TTFT_MS] = t.firstTokenMs;
  if (t.totalMs !== undefined) a[ATTR.TOTAL_MS] = t.totalMs;
  const tps = tokensPerSecond(c);
  if (tps !== undefined) a[ATTR.TOKENS_PER_SECOND] = tps;
  return a;
}

function fail(span: Span, error: ErrorInfo): void {
  span.setAttribute(ATTR.ERROR_TYPE, error.kind);
  span.setStatus({ code: SpanStatusCode.ERROR, message: redactText(error.message) });
}

function abort(span: Span, end: number): void {
  if (span.isRecording()) {
    span.setAttribute(ATTR.ERROR_TYPE, 'aborted');
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'abandoned before the run ended' });
  }
  span.end(end);
}
