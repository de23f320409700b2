import type { CallTimings, ErrorInfo, ErrorKind, RunEvent, RunStatus, StepKind, TokenUsage } from '@flotilla/core';

export interface BuiltCall {
  parent: string;
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
  /** Ends in an error event instead of step.end. */
  fail?: { kind: ErrorKind; message?: string; details?: Record<string, unknown> };
}

/** Builds a run's event stream with exact times, for sink and report tests. */
export class RunEventsBuilder {
  private readonly events: RunEvent[] = [];
  private seq = 0;
  readonly variants: Record<string, string> = {};
  private modelCalls = 0;

  constructor(
    readonly runId: string,
    readonly chain = 'pipeline',
  ) {
    this.events.push({ type: 'run.start', runId, id: runId, at: 0, chain, input: { objective: 'reverse a string' } });
  }

  step(name: string, kind: StepKind, parent: string, at: number): string {
    const id = `${this.runId}.${++this.seq}`;
    this.events.push({ type: 'step.start', runId: this.runId, id, parentId: parent, at, step: name, kind });
    return id;
  }

  endStep(id: string, at: number, output: unknown = null): void {
    const start = this.events.find((e) => e.id === id && e.type === 'step.start');
    if (start?.type !== 'step.start') throw new Error(`no step ${id}`);
    this.events.push({ type: 'step.end', runId: this.runId, id, parentId: start.parentId, at, step: start.step, kind: start.kind, output });
  }

  failStep(id: string, at: number, kind: ErrorKind = 'timeout'): void {
    const start = this.events.find((e) => e.id === id && e.type === 'step.start');
    if (start?.type !== 'step.start') throw new Error(`no step ${id}`);
    this.events.push({ type: 'error', runId: this.runId, id, parentId: start.parentId, at, step: start.step, kind: start.kind, error: info(kind) });
  }

  call(c: BuiltCall): string {
    const id = `${this.runId}.${++this.seq}`;
    const { runId } = this;
    this.modelCalls += 1 + (c.retries?.length ?? 0);
    if (c.variant) this.variants[c.agent] = c.variant;
    this.events.push({ type: 'step.start', runId, id, parentId: c.parent, at: c.start, step: c.agent, kind: 'call', agent: c.agent, model: c.model, variant: c.variant, index: c.index });
    c.retries?.forEach((r, i) => this.events.push({ type: 'retry', runId, id, at: r.at, attempt: i + 1, delayMs: r.delayMs, error: info(r.kind ?? 'unavailable', undefined, r.details) }));
    if (c.fail) {
      this.events.push({ type: 'error', runId, id, parentId: c.parent, at: c.end, step: c.agent, kind: 'call', error: info(c.fail.kind, c.fail.message, c.fail.details) });
    } else {
      this.events.push({
        type: 'step.end',
        runId,
        id,
        parentId: c.parent,
        at: c.end,
        step: c.agent,
        kind: 'call',
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
    return id;
  }

  finish(at: number, status: RunStatus = 'succeeded', error?: ErrorKind): RunEvent[] {
    const sorted = this.events.map((e, i) => [e, i] as const).sort((a, b) => a[0].at - b[0].at || a[1] - b[1]).map(([e]) => e);
    sorted.push({
      type: 'run.end',
      runId: this.runId,
      id: this.runId,
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
}

function info(kind: ErrorKind, message?: string, details?: Record<string, unknown>): ErrorInfo {
  return { kind, message: message ?? `${kind} happened`, retryable: kind !== 'badRequest', details };
}

/**
 * The sample pipeline: manager on gpu-a (cold load), three workers across gpu-a and
 * gpu-b (one retried after an `overloaded`), a reviewer that times out.
 */
export function sampleRun(runId = 'r9', variant = 'fast'): RunEvent[] {
  const b = new RunEventsBuilder(runId);
  const root = b.step('root', 'sequence', runId, 0);
  b.call({ parent: root, agent: 'manager', model: 'planner-3b', endpoint: 'gpu-a', start: 1, end: 120, usage: { promptTokens: 50, completionTokens: 40 }, timings: { queueMs: 5, loadMs: 60, firstTokenMs: 80, totalMs: 110 } });
  const fan = b.step('workers', 'fanOut', root, 121);
  b.call({ parent: fan, agent: 'worker', model: 'coder-7b', endpoint: 'gpu-a', variant, index: 0, start: 122, end: 200, timings: { queueMs: 10, firstTokenMs: 20, totalMs: 68 } });
  b.call({ parent: fan, agent: 'worker', model: 'coder-7b', endpoint: 'gpu-b', variant, index: 1, start: 122, end: 230, timings: { queueMs: 0, loadMs: 30, firstTokenMs: 50, totalMs: 100 } });
  b.call({ parent: fan, agent: 'worker', model: 'coder-7b', endpoint: 'gpu-b', variant, index: 2, start: 122, end: 260, retries: [{ at: 150, delayMs: 10, kind: 'overloaded' }], timings: { queueMs: 2, firstTokenMs: 30, totalMs: 90 } });
  b.endStep(fan, 261, ['a', 'b', 'c']);
  b.call({ parent: root, agent: 'reviewer', model: 'critic-3b', start: 262, end: 300, fail: { kind: 'timeout', message: 'no first token within 30 ms' } });
  b.failStep(root, 300);
  return b.finish(301, 'failed', 'timeout');
}
