import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { ErrorInfo, RunEvent, StepEndEvent, StepStartEvent } from '@flotilla/core';
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

/** An agent call step in flight: its span and the current attempt's start. */
interface CallState {
  span: Span;
  start: StepStartEvent;
  attemptAt: number;
  retries: number;
}

/**
 * Turns the run event stream into OpenTelemetry spans: one per run, one per step (nested
 * by the events' parent ids) and one per model call attempt under its agent step, with
 * GenAI attributes. Span times are the events' times, so a span tree read from a trace
 * file and one exported live agree.
 */
export class OtelSink {
  private readonly tracer: Tracer;
  private readonly provider: OtelSinkOptions['provider'];
  private readonly now: () => number;
  private readonly callsOnly: boolean;
  private readonly spans = new Map<string, Span>();
  /** Contexts of open spans that have children (made once per parent, not per child). */
  private readonly contexts = new Map<string, Context>();
  private readonly calls = new Map<string, CallState>();
  /** Steps that stand in with their parent's span: their end must not end it. */
  private readonly skipped = new Set<string>();
  /** Per run: its wall-clock origin and how many of its step spans are open. */
  private readonly runs = new Map<string, { t0: number; open: number }>();

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
        this.runs.set(e.runId, { t0, open: 0 });
        const span = this.tracer.startSpan(
          `run ${e.chain}`,
          { kind: SpanKind.INTERNAL, startTime: t0, attributes: { [ATTR.RUN_ID]: e.runId, [ATTR.CHAIN]: e.chain } },
          context.active(),
        );
        this.spans.set(e.id, span);
        return;
      }
      case 'step.start':
        return this.startStep(e);
      case 'retry': {
        const call = this.calls.get(e.id);
        if (!call) return;
        this.modelCall(call, this.runs.get(e.runId)!.t0, e.at, {}, e.error);
        call.retries++;
        call.attemptAt = e.at + e.delayMs;
        return;
      }
      case 'step.end':
        return this.endStep(e);
      case 'error': {
        const taken = this.takeSpan(e);
        if (!taken) return;
        const { span, t0, call } = taken;
        if (call) {
          this.modelCall(call, t0, e.at, {}, e.error);
          span.setAttribute(ATTR.RETRY_COUNT, call.retries);
          this.calls.delete(e.id);
        }
        fail(span, e.error);
        span.end(t0 + e.at);
        this.spans.delete(e.id);
        this.contexts.delete(e.id);
        return;
      }
      case 'run.end': {
        const run = this.runs.get(e.runId);
        const span = this.spans.get(e.id);
        if (run === undefined || !span) return;
        const r = e.result;
        const end = run.t0 + e.at;
        // The engine ends every step before the run; this only sweeps up after a broken stream.
        if (run.open > 0) for (const [id, open] of this.spans) {
          if (id !== e.id && id.startsWith(e.runId) && id.charCodeAt(e.runId.length) === 46 /* . */) {
            if (!this.skipped.delete(id)) open.end(end);
            this.spans.delete(id);
            this.calls.delete(id);
            this.contexts.delete(id);
          }
        }
        const attributes: Attributes = {
          [ATTR.STATUS]: r.status,
          [ATTR.MODEL_CALLS]: r.modelCalls,
          [ATTR.GEN_AI_USAGE_INPUT_TOKENS]: r.usage.promptTokens,
          [ATTR.GEN_AI_USAGE_OUTPUT_TOKENS]: r.usage.completionTokens,
        };
        for (const agent in r.variants) attributes[`${ATTR.VARIANT}.${agent}`] = r.variants[agent];
        span.setAttributes(attributes);
        if (r.error) fail(span, r.error);
        span.end(end);
        this.spans.delete(e.id);
        this.contexts.delete(e.id);
        this.runs.delete(e.runId);
        return;
      }
    }
  }

  /**
   * The run's subscriber left before its end (an unsubscribe, not an abort signal, which
   * ends the run properly): its open spans end now, marked as cancelled.
   */
  abandon(runId: string): void {
    const run = this.runs.get(runId);
    if (!run) return;
    const end = this.now();
    const prefix = runId + '.';
    for (const [id, span] of this.spans) {
      if (id !== runId && !id.startsWith(prefix)) continue;
      if (this.skipped.delete(id)) {
        this.spans.delete(id);
        this.contexts.delete(id);
        continue;
      }
      if (span.isRecording()) {
        span.setAttribute(ATTR.ERROR_TYPE, 'aborted');
        span.setStatus({ code: SpanStatusCode.ERROR, message: 'unsubscribed before the run ended' });
      }
      span.end(end);
      this.spans.delete(id);
      this.calls.delete(id);
      this.contexts.delete(id);
    }
    this.runs.delete(runId);
  }

  private startStep(e: StepStartEvent): void {
    const run = this.runs.get(e.runId);
    const parent = e.parentId === undefined ? undefined : this.spans.get(e.parentId);
    if (run === undefined || !parent) return;
    run.open++;
    if (!parent.isRecording() || (this.callsOnly && e.kind !== 'call')) {
      // An unsampled run, or a structural step left out: the parent's span stands in for it
      // (ending it here is a no-op for an unsampled span; see endStep for the other case).
      this.spans.set(e.id, parent);
      this.skipped.add(e.id);
      return;
    }
    const t0 = run.t0;
    const call = e.kind === 'call';
    const attributes: Attributes = { [ATTR.RUN_ID]: e.runId, [ATTR.STEP]: e.step, [ATTR.STEP_KIND]: e.kind };
    if (e.index !== undefined) attributes[ATTR.INDEX] = e.index;
    if (call) {
      attributes[ATTR.GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION.INVOKE_AGENT;
      if (e.agent !== undefined) attributes[ATTR.GEN_AI_AGENT_NAME] = attributes[ATTR.AGENT] = e.agent;
      if (e.model !== undefined) attributes[ATTR.GEN_AI_REQUEST_MODEL] = e.model;
      if (e.variant !== undefined) attributes[ATTR.VARIANT] = e.variant;
    }
    const span = this.tracer.startSpan(
      call ? `${GEN_AI_OPERATION.INVOKE_AGENT} ${e.agent ?? e.step}` : `${e.kind} ${e.step}`,
      { kind: SpanKind.INTERNAL, startTime: t0 + e.at, attributes },
      this.contextOf(e.parentId!, parent),
    );
    this.spans.set(e.id, span);
    if (call) this.calls.set(e.id, { span, start: e, attemptAt: e.at, retries: 0 });
  }

  private contextOf(id: string, span: Span): Context {
    let ctx = this.contexts.get(id);
    if (!ctx) this.contexts.set(id, (ctx = trace.setSpan(ROOT_CONTEXT, span)));
    return ctx;
  }

  /**
   * The span a step.end / error event closes, with the run's start time and the call state:
   * undefined when there is none, or when the step was not exported (its bookkeeping is dropped).
   */
  private takeSpan(e: { id: string; runId: string }) {
    const span = this.spans.get(e.id);
    if (!span) return undefined;
    const run = this.runs.get(e.runId)!;
    run.open--;
    if (this.skipped.delete(e.id)) {
      this.spans.delete(e.id);
      this.contexts.delete(e.id);
      return undefined;
    }
    return { span, t0: run.t0, call: this.calls.get(e.id) };
  }

  private endStep(e: StepEndEvent): void {
    const taken = this.takeSpan(e);
    if (!taken) return;
    const { span, t0, call } = taken;
    if (call) {
      // One attribute object for both spans: the SDK copies values on set.
      const attributes = callAttributes(call, e);
      span.setAttributes(attributes);
      this.modelCall(call, t0, e.at, attributes);
      this.calls.delete(e.id);
    }
    span.end(t0 + e.at);
    this.spans.delete(e.id);
    this.contexts.delete(e.id);
  }

  /** The span of one model-call attempt, from its start to `endAt` (known only when it ends). */
  private modelCall(call: CallState, t0: number, endAt: number, attributes: Attributes, error?: ErrorInfo): void {
    const s = call.start;
    const model = (attributes[ATTR.GEN_AI_RESPONSE_MODEL] as string | undefined) ?? s.model ?? '';
    const endpoint = attributes[ATTR.ENDPOINT] as string | undefined;
    const provider = typeof this.provider === 'function' ? this.provider(endpoint, model) : this.provider!;
    attributes[ATTR.GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION.CHAT;
    attributes[ATTR.GEN_AI_PROVIDER_NAME] = attributes[ATTR.GEN_AI_SYSTEM] = provider;
    attributes[ATTR.ATTEMPT] = call.retries;
    if (s.agent !== undefined) attributes[ATTR.GEN_AI_AGENT_NAME] = attributes[ATTR.AGENT] = s.agent;
    if (s.model !== undefined) attributes[ATTR.GEN_AI_REQUEST_MODEL] = s.model;
    if (s.variant !== undefined) attributes[ATTR.VARIANT] = s.variant;
    const span = this.tracer.startSpan(
      `${GEN_AI_OPERATION.CHAT} ${model}`,
      { kind: SpanKind.CLIENT, startTime: t0 + Math.min(call.attemptAt, endAt), attributes },
      this.contextOf(s.id, call.span),
    );
    if (error) fail(span, error);
    span.end(t0 + endAt);
  }
}

/** What the step's end tells about the call that answered (on both the step and the model-call span). */
function callAttributes(call: CallState, e: StepEndEvent): Attributes {
  const a: Attributes = { [ATTR.RETRY_COUNT]: call.retries };
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
