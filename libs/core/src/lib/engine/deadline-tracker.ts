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

/** `queued`: a router holds the call in its queue; no deadline runs. */
export type CallPhase = 'queued' | 'waiting' | 'loading' | 'generating';

/** Told when a deadline passes. */
export interface TimeoutListener {
  onTimeout(error: FlotillaError): void;
}

/**
 * The three deadlines of one model call: first token, stall between tokens, total.
 * A `loading` event pushes the first-token deadline out by the expected load time; a
 * timeout while the model loads is not retryable (aborting a load and asking again loops
 * forever).
 *
 * Time in a queue does not count: `suspend()` (a `queued` event from a router, or the
 * engine's own limiter) stops all three deadlines, and leaving the queue (`dispatched`,
 * or `resume()`) starts them afresh; the queue bounds its own waiting.
 *
 * One clock entry per call, armed at the nearest deadline. Tokens only move the stall
 * deadline forward: the armed entry re-checks when it fires and re-arms if nothing is due,
 * so a streaming call costs no clock operation per token.
 */
export class DeadlineTracker implements DeadlineTarget {
  phase: CallPhase = 'waiting';
  private armed = false;
  private stopped = false;
  private extendedMs = 0;
  private gapAt = Infinity;
  private totalAt = Infinity;
  private handle: DeadlineHandle | undefined;
  private handleAt = Infinity;
  private started: number;

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
    this.totalAt = this.started + this.deadlines.totalMs;
    this.gapAt = this.phase === 'generating' ? this.clock.now() + this.deadlines.stallMs : this.firstTokenAt();
    if (this.phase !== 'queued') this.arm();
  }

  /** Updates the phase from an event of the call, moving the gap deadline. */
  observe(event: ChatEvent): void {
    const type = event.type;
    if (type === 'delta' || type === 'toolCall' || type === 'toolCallDelta') {
      this.phase = 'generating';
      if (this.armed) this.gapAt = this.clock.now() + this.deadlines.stallMs;
    } else if (type === 'loading') {
      if (this.phase === 'generating') return;
      this.phase = 'loading';
      this.extendedMs += event.expectedLoadMs;
      this.gapAt = this.firstTokenAt();
    } else if (type === 'queued') return this.suspend();
    else if (type === 'dispatched') return this.resume();
    else return;
    // Later deadlines are picked up when the armed entry fires; an earlier one re-arms now.
    if (this.armed && Math.min(this.gapAt, this.totalAt) < this.handleAt) this.arm();
  }

  /** The call waits in a queue: no deadline runs until `resume()`. */
  suspend(): void {
    if (this.stopped || this.phase !== 'waiting') return;
    this.phase = 'queued';
    if (this.handle) this.clock.cancel(this.handle);
    this.handle = undefined;
    this.handleAt = Infinity;
  }

  /** The call left its queue: its deadlines start now. Does nothing unless suspended. */
  resume(): void {
    if (this.phase !== 'queued' || this.stopped) return;
    this.phase = 'waiting';
    this.started = this.clock.now();
    this.extendedMs = 0;
    if (!this.armed) return; // begin() arms from the new start
    this.totalAt = this.started + this.deadlines.totalMs;
    this.gapAt = this.firstTokenAt();
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.handle) this.clock.cancel(this.handle);
    this.handle = undefined;
    this.handleAt = Infinity;
  }

  onDeadline(): void {
    this.handle = undefined;
    this.handleAt = Infinity;
    if (this.stopped || this.phase === 'queued') return;
    const now = this.clock.now();
    if (now >= this.totalAt) return this.fail('total', this.deadlines.totalMs);
    if (now >= this.gapAt) {
      return this.phase === 'generating'
        ? this.fail('stall', this.deadlines.stallMs)
        : this.fail('firstToken', this.deadlines.firstTokenMs + this.extendedMs);
    }
    this.arm();
  }

  private firstTokenAt(): number {
    return this.started + this.deadlines.firstTokenMs + this.extendedMs;
  }

  private arm(): void {
    if (this.handle) this.clock.cancel(this.handle);
    const at = Math.min(this.gapAt, this.totalAt);
    this.handleAt = at;
    this.handle = this.clock.schedule(this, 0, Math.max(0, at - this.clock.now()));
  }

  private fail(which: 'firstToken' | 'stall' | 'total', limitMs: number): void {
    this.stop();
    const what = which === 'firstToken' ? 'time to first token' : which === 'stall' ? 'gap between tokens' : 'model call';
    this.listener.onTimeout(
      new FlotillaError('timeout', `${what} exceeded ${limitMs} ms${this.phase === 'loading' ? ' while the model was loading' : ''}`, {
        retryable: this.phase !== 'loading',
        details: { deadline: which, limitMs, phase: this.phase, elapsedMs: this.clock.now() - this.started },
      }),
    );
  }
}
