import { createHash } from 'node:crypto';
import type { RunResult } from '../engine/run-result';
import type { RunContext } from '../engine/run-context';
import type { CallOutcome } from '../engine/agent-call';
import { toJournalJson } from './json-value';
import type { JournalEntry, RunStore, RunUsage } from './run-store.interface';
import { StoreErrors } from './store-errors';
import type { FlotillaError } from '../errors/flotilla-error';
import type { HumanAnswer, HumanQuestion } from '../steps/human.step';

/** The lease a run execution holds: who it is, and how long each renewal lasts. */
export interface HeldLease {
  owner: string;
  ttlMs: number;
}

/**
 * The journal of one durable run: the entries a resume takes instead of calling the model,
 * and where completed calls are written before their output is used.
 */
export class RunJournal {
  private readonly entries: Map<string, JournalEntry>;
  private heartbeat: ReturnType<typeof setInterval> | undefined;

  constructor(
    readonly store: RunStore,
    readonly runId: string,
    entries: readonly JournalEntry[] = [],
    readonly lease?: HeldLease,
    /** What the run waited for when this attempt began, and the answer the resume brought. */
    private readonly human: { waiting?: HumanQuestion; answer?: HumanAnswer } = {},
  ) {
    this.entries = new Map(entries.map((e) => [e.stepKey, e]));
  }

  /**
   * Renews the run's lease every third of its term while the run lasts; `onLost` is told when
   * another process has taken the run over (this one was stalled past its lease). A renewal
   * that fails (a busy store) is tried again at the next beat.
   */
  keepLease(onLost: (error: FlotillaError) => void): void {
    const lease = this.lease;
    if (!lease) return;
    this.heartbeat = setInterval(
      () => {
        this.store.renewLease(this.runId, lease.owner, lease.ttlMs).then(
          (held) => {
            if (held || this.heartbeat === undefined) return;
            this.stopLease();
            onLost(StoreErrors.runLeased(this.runId, undefined, this.store.location ?? 'run store'));
          },
          () => undefined,
        );
      },
      Math.max(10, Math.floor(lease.ttlMs / 3)),
    );
    this.heartbeat.unref?.();
  }

  private stopLease(): void {
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** The journaled result of a step, when it completed in an earlier attempt of the run. */
  entry(stepKey: string): JournalEntry | undefined {
    return this.entries.get(stepKey);
  }

  /** Writes a completed call; resolves once the store holds it (the step's output may then be used). */
  async record(ctx: RunContext, stepKey: string, agent: string, outcome: CallOutcome): Promise<void> {
    // Checked before anything is written: a value that would change on resume fails its step here.
    toJournalJson(outcome.output, { step: stepKey, agent });
    const entry: JournalEntry = { stepKey, kind: 'call', output: outcome.output, call: outcome.call, at: Date.now() };
    await this.store.append(this.runId, entry, usageOf(ctx), this.lease?.owner);
    this.entries.set(stepKey, entry);
  }

  /** The answer the resume brought for the step the run waited on. */
  answerFor(stepKey: string): HumanAnswer | undefined {
    return this.human.waiting?.stepKey === stepKey ? this.human.answer : undefined;
  }

  /** The question the run waited on at `stepKey` when this attempt began (its expiry holds). */
  waitingOn(stepKey: string): HumanQuestion | undefined {
    return this.human.waiting?.stepKey === stepKey ? this.human.waiting : undefined;
  }

  /** Writes a person's decision, like a call's result: a later resume does not ask again. */
  async recordHuman(ctx: RunContext, stepKey: string, decision: unknown): Promise<void> {
    toJournalJson(decision, { step: stepKey });
    const entry: JournalEntry = { stepKey, kind: 'human', output: decision, at: Date.now() };
    await this.store.append(this.runId, entry, usageOf(ctx), this.lease?.owner);
    this.entries.set(stepKey, entry);
  }

  /**
   * A number in [0, 1) derived from the run id and `what` (an agent's A/B variant draw): the
   * same in every attempt of the run, so a resumed run takes the same branches.
   */
  draw(what: string): number {
    const digest = createHash('sha256').update(`${this.runId}\u0000${what}`).digest();
    return digest.readUInt32BE(0) / 0x1_0000_0000;
  }

  /** Records how the run ended. The output is kept only when JSON holds it unchanged. */
  async end(result: RunResult): Promise<void> {
    this.stopLease();
    let output: unknown;
    if (result.output !== undefined) {
      try {
        toJournalJson(result.output, { step: '(run output)' });
        output = result.output;
      } catch {
        output = undefined;
      }
    }
    const usage = { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens, modelCalls: result.modelCalls };
    await this.store.finish(this.runId, { status: result.status, usage, ...(output === undefined ? {} : { output }), ...(result.error ? { error: result.error } : {}), ...(result.waiting ? { waiting: result.waiting } : {}) }, this.lease?.owner);
  }
}

export function usageOf(ctx: RunContext): RunUsage {
  return { promptTokens: ctx.usage.promptTokens, completionTokens: ctx.usage.completionTokens, modelCalls: ctx.modelCalls };
}
