import type { CallTimings, ErrorInfo, ErrorKind, RunEvent, RunStatus, StepKind, StepStartEvent, TokenUsage } from '@flotilla/core';

/** Where a step sits: under `parent` (a key; none for the root step) at `segment`, or named by `id`. */
export interface BuiltPlace {
  parent?: string;
  /** Its place in the parent (`0`, `step[2]`, `work#1`); ignored when it has an `id`. */
  segment?: string;
  id?: string;
}

export interface BuiltStep extends BuiltPlace {
  kind: StepKind;
  at: number;
}

export interface BuiltCall extends BuiltPlace {
  agent: string;
  model: string;
  endpoint?: string;
  variant?: string;
  index?: number;
  start: number;
  end: number;
  timings?: CallTimings;
  usage?: TokenUsage;
  retries?: { at: number; delayMs: number; kind?: ErrorKind; details?: Record<string, unknown> }[];
  /** Ends in a step.error event instead of step.end. */
  fail?: { kind: ErrorKind; message?: string; details?: Record<string, unknown> };
}

/** A step's key as the engine builds it: the parent's key, then the step's id or segment. */
export function childKey(place: BuiltPlace): string {
  const own = place.id ?? place.segment ?? '';
  return place.parent ? `${place.parent}/${own}` : own;
}

/** Builds a run's event stream with exact times and engine-shaped keys, for sink and report tests. */
export class RunEventsBuilder {
  private readonly events: RunEvent[] = [];
  private readonly starts = new Map<string, StepStartEvent>();
  readonly variants: Record<string, string> = {};
  private modelCalls = 0;

  constructor(
    readonly runId: string,
    readonly chain = 'pipeline',
  ) {
    this.events.push({ type: 'run.start', runId, at: 0, startedAt: 1_760_000_000_000, chain, input: { objective: 'reverse a string' } });
  }

  /** Starts a structural step; returns its key. */
  step(s: BuiltStep): string {
    return this.start({ type: 'step.start', runId: this.runId, key: childKey(s), parentKey: s.parent, at: s.at, kind: s.kind, name: s.id ?? s.kind, id: s.id });
  }

  endStep(key: string, at: number, output: unknown = null): void {
    const { parentKey, kind, name } = this.started(key);
    this.events.push({ type: 'step.end', runId: this.runId, key, parentKey, at, kind, name, output });
  }

  failStep(key: string, at: number, kind: ErrorKind = 'timeout'): void {
    const { parentKey, kind: stepKind, name } = this.started(key);
    this.events.push({ type: 'step.error', runId: this.runId, key, parentKey, at, kind: stepKind, name, error: info(kind) });
  }

  /** An agent call from start to end (its retries, then its step.end or step.error); returns its key. */
  call(c: BuiltCall): string {
    const { runId } = this;
    const name = c.id ?? c.agent;
    const key = this.start({
      type: 'step.start',
      runId,
      key: childKey(c),
      parentKey: c.parent,
      at: c.start,
      kind: 'call',
      name,
      id: c.id,
      agent: c.agent,
      model: c.model,
      variant: c.variant,
      index: c.index,
    });
    this.modelCalls += 1 + (c.retries?.length ?? 0);
    if (c.variant) this.variants[c.agent] = c.variant;
    c.retries?.forEach((r, i) => this.events.push({ type: 'retry', runId, key, parentKey: c.parent, at: r.at, attempt: i + 1, delayMs: r.delayMs, error: info(r.kind ?? 'unavailable', undefined, r.details) }));
    if (c.fail) {
      this.events.push({ type: 'step.error', runId, key, parentKey: c.parent, at: c.end, kind: 'call', name, error: info(c.fail.kind, c.fail.message, c.fail.details) });
    } else {
      this.events.push({
        type: 'step.end',
        runId,
        key,
        parentKey: c.parent,
        at: c.end,
        kind: 'call',
        name,
        output: `${c.agent} output`,
        call: {
          agent: c.agent,
          model: c.model,
          endpoint: c.endpoint,
          attempts: 1 + (c.retries?.length ?? 0),
          usage: c.usage ?? { promptTokens: 40, completionTokens: 20 },
          timings: c.timings ?? { totalMs: c.end - c.start },
          variant: c.variant,
        },
      });
    }
    return key;
  }

  finish(at: number, status: RunStatus = 'succeeded', error?: ErrorKind): RunEvent[] {
    const sorted = this.events.map((e, i) => [e, i] as const).sort((a, b) => a[0].at - b[0].at || a[1] - b[1]).map(([e]) => e);
    sorted.push({
      type: 'run.end',
      runId: this.runId,
      at,
      result: {
        runId: this.runId,
        chain: this.chain,
        status,
        error: error ? info(error) : undefined,
        steps: [],
        usage: { promptTokens: 0, completionTokens: 0 },
        modelCalls: this.modelCalls,
        variants: { ...this.variants },
        durationMs: at,
        trace: [],
      },
    });
    return sorted;
  }

  private start(e: StepStartEvent): string {
    if (this.starts.has(e.key)) throw new Error(`step ${e.key} started twice`);
    this.starts.set(e.key, e);
    this.events.push(e);
    return e.key;
  }

  private started(key: string): StepStartEvent {
    const start = this.starts.get(key);
    if (!start) throw new Error(`no step ${key}`);
    return start;
  }
}

function info(kind: ErrorKind, message?: string, details?: Record<string, unknown>): ErrorInfo {
  return { kind, message: message ?? `${kind} happened`, retryable: kind !== 'badRequest', details };
}

/**
 * The sample pipeline: a root sequence; the manager (`plan`) on gpu-a (cold load); a fan-out
 * (`workers`) of three `worker` calls across gpu-a and gpu-b (`workers/step[0..2]`, one
 * retried after an `overloaded`); a reviewer (`2`) that times out.
 */
export function sampleRun(runId = 'r9', variant = 'fast'): RunEvent[] {
  const b = new RunEventsBuilder(runId);
  const root = b.step({ kind: 'sequence', at: 0 });
  b.call({ parent: root, id: 'plan', agent: 'manager', model: 'planner-3b', endpoint: 'gpu-a', start: 1, end: 120, usage: { promptTokens: 50, completionTokens: 40 }, timings: { queueMs: 5, loadMs: 60, firstTokenMs: 80, totalMs: 110 } });
  const fan = b.step({ parent: root, id: 'workers', kind: 'fanOut', at: 121 });
  b.call({ parent: fan, segment: 'step[0]', agent: 'worker', model: 'coder-7b', endpoint: 'gpu-a', variant, index: 0, start: 122, end: 200, timings: { queueMs: 10, firstTokenMs: 20, totalMs: 68 } });
  b.call({ parent: fan, segment: 'step[1]', agent: 'worker', model: 'coder-7b', endpoint: 'gpu-b', variant, index: 1, start: 122, end: 230, timings: { queueMs: 0, loadMs: 30, firstTokenMs: 50, totalMs: 100 } });
  b.call({ parent: fan, segment: 'step[2]', agent: 'worker', model: 'coder-7b', endpoint: 'gpu-b', variant, index: 2, start: 122, end: 260, retries: [{ at: 150, delayMs: 10, kind: 'overloaded' }], timings: { queueMs: 2, firstTokenMs: 30, totalMs: 90 } });
  b.endStep(fan, 261, ['a', 'b', 'c']);
  b.call({ parent: root, segment: '2', agent: 'reviewer', model: 'critic-3b', start: 262, end: 300, fail: { kind: 'timeout', message: 'no first token within 30 ms' } });
  b.failStep(root, 300);
  return b.finish(301, 'failed', 'timeout');
}
