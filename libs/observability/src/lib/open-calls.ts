import type { RunEndEvent, StepStartEvent } from '@flotilla/core';

/**
 * Agent calls in flight, by span id, with a count per run so that a run's end forgets its
 * leftovers (a broken stream) by walking that run's trace, never every run in flight.
 */
export class OpenCalls {
  private readonly byId = new Map<string, StepStartEvent>();
  private readonly perRun = new Map<string, number>();

  add(start: StepStartEvent): void {
    this.byId.set(start.id, start);
    this.perRun.set(start.runId, (this.perRun.get(start.runId) ?? 0) + 1);
  }

  get(id: string): StepStartEvent | undefined {
    return this.byId.get(id);
  }

  /** Removes and returns the call's start. */
  take(id: string): StepStartEvent | undefined {
    const start = this.byId.get(id);
    if (start) {
      this.byId.delete(id);
      this.perRun.set(start.runId, this.perRun.get(start.runId)! - 1);
    }
    return start;
  }

  endRun(e: RunEndEvent): void {
    const left = this.perRun.get(e.runId);
    this.perRun.delete(e.runId);
    if (!left) return;
    for (const ev of e.result.trace) if (ev.type === 'step.start') this.byId.delete(ev.id);
  }

  /** Forgets a run that will never end (its subscriber left): walks every call in flight, a rare path. */
  abandon(runId: string): void {
    if (!this.perRun.delete(runId)) return;
    for (const [id, start] of this.byId) if (start.runId === runId) this.byId.delete(id);
  }
}
