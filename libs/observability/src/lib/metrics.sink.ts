import { Counter, Histogram, Registry } from 'prom-client';
import type { ErrorInfo, RunEvent, StepStartEvent } from '@flotilla/core';
import { tokensPerSecond } from './run-summary';
import { OpenCalls } from './open-calls';

/** Seconds, from a warm small model's first token to a cold load of a big one. */
export const DEFAULT_LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
export const DEFAULT_TOKENS_PER_SECOND_BUCKETS = [1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 250, 500, 1000, 2500];
/** @default 'flotilla_' */
export const DEFAULT_METRICS_PREFIX = 'flotilla_';

const LABELS = ['agent', 'model', 'endpoint', 'variant'] as const;
const KIND_LABELS = [...LABELS, 'error_kind'] as const;

export interface MetricsSinkOptions {
  /** @default a new Registry (use `register` from prom-client for the global one) */
  registry?: Registry;
  /** @default 'flotilla_' */
  prefix?: string;
  latencyBuckets?: number[];
  tokensPerSecondBuckets?: number[];
}

type Observer = { observe(value: number): void };
type Incrementer = { inc(value?: number): void };

/** The children of every metric for one label set, looked up once per label set. */
interface Series {
  latency: Observer;
  ttft: Observer;
  queue: Observer;
  tps: Observer;
  successes: Incrementer;
  failures: Map<string, Incrementer>;
  retries: Map<string, Incrementer>;
  labels: readonly string[];
}

/**
 * Prometheus metrics from the run event stream: histograms of agent-call latency, time to
 * first token, queue wait and generation speed; counters of successful and failed calls
 * and of retries (by error kind); runs by status. Labelled by agent, model, endpoint and
 * A/B variant (`''` where unknown). Label sets are resolved once and cached.
 */
export class MetricsSink {
  readonly registry: Registry;
  private readonly stepLatency: Histogram<(typeof LABELS)[number]>;
  private readonly firstToken: Histogram<(typeof LABELS)[number]>;
  private readonly queueWait: Histogram<(typeof LABELS)[number]>;
  private readonly tokenRate: Histogram<(typeof LABELS)[number]>;
  private readonly successes: Counter<(typeof LABELS)[number]>;
  private readonly failures: Counter<(typeof KIND_LABELS)[number]>;
  private readonly retries: Counter<(typeof KIND_LABELS)[number]>;
  private readonly runs: Counter<'chain' | 'status'>;
  /** agent -> model -> endpoint -> variant -> series */
  private readonly series = new Map<string, Map<string, Map<string, Map<string, Series>>>>();
  /** Agent calls in flight: their start event (agent, requested model, variant, start time). */
  private readonly open = new OpenCalls();

  constructor(options: MetricsSinkOptions = {}) {
    const registry = (this.registry = options.registry ?? new Registry());
    const p = options.prefix ?? DEFAULT_METRICS_PREFIX;
    const buckets = options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS;
    const registers = [registry];
    const h = (name: string, help: string, b = buckets) => new Histogram({ name: p + name, help, labelNames: LABELS, buckets: b, registers });
    this.stepLatency = h('step_duration_seconds', 'Agent call steps that succeeded: start to end as the engine saw it (queueing and retries included).');
    this.firstToken = h('time_to_first_token_seconds', 'Model calls: send to the first token, as the client or engine timed it.');
    this.queueWait = h('queue_wait_seconds', 'Model calls: time waiting for a slot (engine limiters, router queue).');
    this.tokenRate = h('tokens_per_second', 'Model calls: completion tokens per second of generation.', options.tokensPerSecondBuckets ?? DEFAULT_TOKENS_PER_SECOND_BUCKETS);
    this.successes = new Counter({ name: p + 'call_successes_total', help: 'Agent call steps that succeeded.', labelNames: LABELS, registers });
    this.failures = new Counter({ name: p + 'call_failures_total', help: 'Agent call steps that failed, by error kind.', labelNames: KIND_LABELS, registers });
    this.retries = new Counter({ name: p + 'call_retries_total', help: 'Retries of agent calls, by the error that caused them.', labelNames: KIND_LABELS, registers });
    this.runs = new Counter({ name: p + 'runs_total', help: 'Runs that ended, by chain and status.', labelNames: ['chain', 'status'], registers });
  }

  /** The run will not end (its events stopped short): forget its calls in flight. */
  abandon(runId: string): void {
    this.open.endRun(runId);
  }

  next(e: RunEvent): void {
    switch (e.type) {
      case 'step.start':
        if (e.kind === 'call') this.open.add(e);
        return;
      case 'step.end': {
        const start = this.open.take(e);
        if (!start) return;
        const c = e.call;
        const s = this.lookup(start.agent ?? start.name, c?.model ?? start.model ?? '', c?.endpoint ?? '', c?.variant ?? start.variant ?? '');
        s.successes.inc();
        s.latency.observe((e.at - start.at) / 1000);
        if (!c) return;
        const t = c.timings;
        if (t.firstTokenMs !== undefined) s.ttft.observe(t.firstTokenMs / 1000);
        s.queue.observe((t.queueMs ?? 0) / 1000);
        const tps = tokensPerSecond(c);
        if (tps !== undefined) s.tps.observe(tps);
        return;
      }
      case 'retry': {
        const start = this.open.get(e);
        if (!start) return;
        const s = this.seriesOf(start);
        this.count(s.retries, this.retries, s, e.error);
        return;
      }
      case 'step.error': {
        const start = this.open.take(e);
        if (!start) return;
        const s = this.seriesOf(start);
        this.count(s.failures, this.failures, s, e.error);
        return;
      }
      case 'run.end':
        this.runs.labels(e.result.chain, e.result.status).inc();
        this.open.endRun(e.runId);
        return;
    }
  }

  private seriesOf(start: StepStartEvent): Series {
    return this.lookup(start.agent ?? start.name, start.model ?? '', '', start.variant ?? '');
  }

  private count(byKind: Map<string, Incrementer>, counter: Counter<(typeof KIND_LABELS)[number]>, s: Series, error: ErrorInfo): void {
    let child = byKind.get(error.kind);
    if (!child) byKind.set(error.kind, (child = counter.labels(...s.labels, error.kind)));
    child.inc();
  }

  private lookup(agent: string, model: string, endpoint: string, variant: string): Series {
    let byModel = this.series.get(agent);
    if (!byModel) this.series.set(agent, (byModel = new Map()));
    let byEndpoint = byModel.get(model);
    if (!byEndpoint) byModel.set(model, (byEndpoint = new Map()));
    let byVariant = byEndpoint.get(endpoint);
    if (!byVariant) byEndpoint.set(endpoint, (byVariant = new Map()));
    let s = byVariant.get(variant);
    if (!s) {
      const labels = [agent, model, endpoint, variant] as const;
      s = {
        latency: this.stepLatency.labels(...labels),
        ttft: this.firstToken.labels(...labels),
        queue: this.queueWait.labels(...labels),
        tps: this.tokenRate.labels(...labels),
        successes: this.successes.labels(...labels),
        failures: new Map(),
        retries: new Map(),
        labels,
      };
      byVariant.set(variant, s);
    }
    return s;
  }
}
