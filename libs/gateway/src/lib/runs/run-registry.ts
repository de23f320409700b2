import type { RunHandle, RunResult } from '@flotilla/core';
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

  constructor(readonly runner: ChainRunner) {}

  /** 409 when a run with this id is in flight here. */
  checkFree(runId: string | undefined): void {
    if (runId !== undefined && this.live.has(runId)) throw requestError(409, `run ${runId} is in flight; choose another runId`, 'runId');
  }

  track(handle: RunHandle): void {
    this.checkFree(handle.runId);
    this.live.set(handle.runId, handle);
    void handle.result.then((r) => {
      this.live.delete(handle.runId);
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

  get size(): number {
    return this.live.size;
  }

  /** Cancels every run in flight (the gateway's drain); their streams end with a cancelled outcome. */
  async cancelAll(reason: string): Promise<void> {
    await Promise.all([...this.live.values()].map((h) => h.cancel(new Error(reason))));
  }
}
