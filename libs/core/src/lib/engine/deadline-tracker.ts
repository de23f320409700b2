import type { ChatEvent } from '../model/chat-event';
import { FlotillaError } from '../errors/flotilla-error';
import type { DeadlineClock, DeadlineHandle, DeadlineTarget } from './deadline-timers';

export interface Deadlines {
  /** Until the first delta or tool call; extended by `loading` events. */
  firstTokenMs: number;
  /** Longest gap between two events once generation has begun. */
  stallMs: number;
  /** The whole call. */
  totalMs: number;
}

export type CallPhase = 'waiting' | 'loading' | 'generating';

/** Told when a deadline passes. */
export interface TimeoutListener {
  onTimeout(error: FlotillaError): void;
}

const GAP = 0;
const TOTAL = 1;

/**
 * The three deadlines of one model call: first token, stall between tokens, total.
 * A `loading` event pushes the first-token deadline out by the expected load time; a
 * timeout while the model loads is not retryable (aborting a load and asking again loops
 * forever). Shared by the `withDeadlines` operator and the engine's fused agent call.
 */
export class DeadlineTracker implements DeadlineTarget {
  phase: CallPhase = 'waiting';
  private armed = false;
  private stopped = false;
  private extendedMs = 0;
  private gap: DeadlineHandle | undefined;
  private total: DeadlineHandle | undefined;
  private readonly started: number;

  constructor(
    private readonly deadlines: Deadlines,
    private readonly clock: DeadlineClock,
    private readonly listener: TimeoutListener,
  ) {
    this.started = clock.now();
  }

  /** Arms the deadlines; call once the request is sent and has not finished synchronously. */
  begin(): void {
    if (this.armed || this.stopped) return;
    this.armed = true;
    if (this.phase === 'generating') this.armStall();
    else this.armFirstToken();
    this.total = this.clock.schedule(this, TOTAL, Math.max(0, this.started + this.deadlines.totalMs - this.clock.now()));
  }

  /** Updates the phase from an event of the call, re-arming the gap deadline. */
  observe(event: ChatEvent): void {
    if (event.type === 'loading') {
      if (this.phase === 'generating') return;
      this.phase = 'loading';
      this.extendedMs += event.expectedLoadMs;
      if (this.armed) this.armFirstToken();
    } else if (event.type !== 'final') {
      this.phase = 'generating';
      if (this.armed) this.armStall();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.gap) this.clock.cancel(this.gap);
    if (this.total) this.clock.cancel(this.total);
    this.gap = this.total = undefined;
  }

  onDeadline(tag: number): void {
    if (this.stopped) return;
    const which = tag === TOTAL ? 'total' : this.phase === 'generating' ? 'stall' : 'firstToken';
    const limitMs =
      which === 'total' ? this.deadlines.totalMs : which === 'stall' ? this.deadlines.stallMs : this.deadlines.firstTokenMs + this.extendedMs;
    this.stop();
    const what = which === 'firstToken' ? 'time to first token' : which === 'stall' ? 'gap between tokens' : 'model call';
    this.listener.onTimeout(
      new FlotillaError('timeout', `${what} exceeded ${limitMs} ms${this.phase === 'loading' ? ' while the model was loading' : ''}`, {
        retryable: this.phase !== 'loading',
        details: { deadline: which, limitMs, phase: this.phase, elapsedMs: this.clock.now() - this.started },
      }),
    );
  }

  private armFirstToken(): void {
    if (this.gap) this.clock.cancel(this.gap);
    const limit = this.deadlines.firstTokenMs + this.extendedMs;
    this.gap = this.clock.schedule(this, GAP, Math.max(0, this.started + limit - this.clock.now()));
  }

  private armStall(): void {
    if (this.gap) this.clock.cancel(this.gap);
    this.gap = this.clock.schedule(this, GAP, this.deadlines.stallMs);
  }
}
