import type { RunEvent, RunHandle, RunResult } from '@flotilla/core';
import { requestError } from '../http/api-error';
import type { ChainRunner } from './chain-runner';

/** How many ended runs `GET /v1/runs/:id` still answers for from memory (a run store keeps them all). */
const KEEP_ENDED = 500;

/** A result as the gateway sends it: without its trace (the events were the stream). */
export type RunResultView = Omit<RunResult, 'trace'>;

export function viewOf(result: RunResult): RunResultView {
  const { trace: _trace, ...rest } = result;
  return rest;
}

/** The runs the gateway started: those in flight (cancel, drain) and the last ended ones. */
export class RunRegistry {
  private readonly live = new Map<string, RunHandle>();
  private readonly ended = new Map<string, RunResultView>();
  /** The events of each run in flight so far, and when it started here (the dashboard's timelines). */
  private readonly traces = new Map<string, { startedAt: number; events: RunEvent[] }>();
  /** Called once per run that ends (the dashboard's recent errors). */
  onEnd: ((result: RunResultView) => void) | undefined;

  constructor(readonly runner: ChainRunner) {}

  /** 409 when a run with this id is in flight here. */
  checkFree(runId: string | undefined): void {
    if (runId !== undefined && this.live.has(runId)) throw requestError(409, `run ${runId} is in flight; choose another runId`, 'runId');
  }

  track(handle: RunHandle): void {
    this.checkFree(handle.runId);
    this.live.set(handle.runId, handle);
    const trace = { startedAt: Date.now(), events: [] as RunEvent[] };
    this.traces.set(handle.runId, trace);
    handle.events.subscribe({ next: (e) => void trace.events.push(e), error: () => undefined });
    void handle.result.then((r) => {
      this.live.delete(handle.runId);
      this.traces.delete(handle.runId);
      this.onEnd?.(viewOf(r));
      this.ended.delete(handle.runId);
      this.ended.set(handle.runId, viewOf(r));
      if (this.ended.size > KEEP_ENDED) this.ended.delete(this.ended.keys().next().value!);
    });
  }

  inFlight(runId: string): RunHandle | undefined {
    return this.live.get(runId);
  }

  endedRun(runId: string): RunResultView | undefined {
    return this.ended.get(runId);
  }

  /** Runs in flight with their events so far, oldest first. */
  liveTraces(): { runId: string; startedAt: number; events: readonly RunEvent[] }[] {
    return [...this.traces].map(([runId, t]) => ({ runId, ...t }));
  }

  get size(): number {
    return this.live.size;
  }

  /** Cancels every run in flight (the gateway's drain); their streams end with a cancelled outcome. */
  async cancelAll(reason: string): Promise<void> {
    await Promise.all([...this.live.values()].map((h) => h.cancel(new Error(reason))));
  }
}
