import type { StepStartEvent } from '@flotilla/core';

/**
 * Agent calls in flight, per run and by step key (keys repeat across runs): a run's end or
 * abandonment drops its calls at once, whatever is left of them.
 */
export class OpenCalls {
  private readonly runs = new Map<string, Map<string, StepStartEvent>>();

  add(start: StepStartEvent): void {
    let calls = this.runs.get(start.runId);
    if (!calls) this.runs.set(start.runId, (calls = new Map()));
    calls.set(start.key, start);
  }

  get(e: { runId: string; key: string }): StepStartEvent | undefined {
    return this.runs.get(e.runId)?.get(e.key);
  }

  /** Removes and returns the call's start. */
  take(e: { runId: string; key: string }): StepStartEvent | undefined {
    const calls = this.runs.get(e.runId);
    const start = calls?.get(e.key);
    if (start) calls!.delete(e.key);
    return start;
  }

  /** Forgets the run (it ended, or will not end). */
  endRun(runId: string): void {
    this.runs.delete(runId);
  }
}
