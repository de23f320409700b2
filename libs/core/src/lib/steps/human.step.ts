import { Subscription, type Unsubscribable } from 'rxjs';
import { Errors } from '../errors/errors';
import { FlotillaError } from '../errors/flotilla-error';
import type { StepSpan } from '../engine/step-span';
import type { OutputSchema } from '../schema/output-schema';
import type { JsonSchema } from '../model/chat-request';
import { toJournalJson } from '../store/json-value';
import type { Step, StepContext, StepNode, StepType } from './step';

/** What a person answers to a human step. `edit` replaces the value (checked against the step's schema). */
export type HumanAnswer = { action: 'approve'; comment?: string } | { action: 'reject'; comment?: string } | { action: 'edit'; value: unknown; comment?: string };

/** A human step's output: the decision, and the value that goes on (the edited one, else the step's input). */
export interface HumanDecision<T = unknown> {
  action: 'approve' | 'reject' | 'edit';
  /** False only for `reject` (a review loop's `until` reads it). */
  approved: boolean;
  value: T;
  comment?: string;
}

/** What a waiting run asks: persisted with the run, shown by `flotilla runs show`, given to `ask`. */
export interface HumanQuestion {
  /** The human step's key: the answer is journaled under it. */
  stepKey: string;
  /** The question's text. */
  question: string;
  /** The value the person reviews (the step's input; JSON). */
  value: unknown;
  /** The JSON Schema an edited value must match, when the step declares one. */
  schema?: JsonSchema;
  /** Epoch ms after which the step takes its `onExpiry` (fails, or takes the default). */
  expiresAt?: number;
}

/** How a run asks a person in code (`RunOptions.ask`): without a store, the only way a human step is answered. */
export type AskHuman = (question: HumanQuestion, signal: AbortSignal) => HumanAnswer | Promise<HumanAnswer>;

export interface HumanNode extends StepNode {
  readonly question: string | ((value: unknown, ctx: StepContext) => string);
  readonly schema?: OutputSchema<unknown>;
  readonly expiresInMs?: number;
  readonly onExpiry?: 'fail' | { default: HumanAnswer };
}

/**
 * A person's decision. With an answer for the step (journaled by an earlier attempt, or given
 * to `resume({ answer })`) or an `ask` function, it completes with a `HumanDecision`; with a
 * run store and neither, the run ends `waiting` (persisted with the question) until a resume
 * answers it; with neither a store nor `ask`, it fails `config` (reason `noHumanChannel`).
 */
export const HUMAN: StepType<HumanNode> = {
  kind: 'human',
  start(node, value, exec): Unsubscribable {
    const span = exec as StepSpan;
    const ctx = span.ctx;
    const key = span.key;
    const journal = ctx.journal;
    const sub = new Subscription();
    const done = (output: unknown) => {
      if (sub.closed) return;
      span.next(output);
      span.complete();
    };
    const fail = (e: unknown) => {
      if (!sub.closed) span.error(e);
    };
    const entry = journal?.entry(key);
    if (entry) {
      queueMicrotask(() => done(entry.output));
      return sub;
    }
    const question: HumanQuestion = { stepKey: key, question: typeof node.question === 'string' ? node.question : exec.call(node.question, value, 'human question'), value };
    if (node.schema) question.schema = node.schema.jsonSchema;
    const settle = (answer: unknown, from: 'given' | 'ask' | 'expiry') => {
      let decision: HumanDecision;
      try {
        decision = decide(node, key, value, answer, from);
      } catch (e) {
        fail(e);
        return;
      }
      if (!journal) return done(decision);
      journal.recordHuman(ctx, key, decision).then(() => done(decision), fail);
    };
    const given = journal?.answerFor(key);
    if (given !== undefined) {
      queueMicrotask(() => settle(given, 'given'));
      return sub;
    }
    const ask = ctx.ask;
    if (ask) {
      const controller = new AbortController();
      sub.add(() => controller.abort());
      if (node.expiresInMs !== undefined) {
        const timer = setTimeout(() => (node.onExpiry !== undefined && node.onExpiry !== 'fail' ? settle(node.onExpiry.default, 'expiry') : fail(expired(key, node.expiresInMs!))), node.expiresInMs);
        sub.add(() => clearTimeout(timer));
      }
      Promise.resolve()
        .then(() => ask(question, controller.signal))
        .then(
          (answer) => settle(answer, 'ask'),
          (e: unknown) => fail(FlotillaError.is(e) ? e : Errors.userCode(e, { fn: 'ask', step: key })),
        );
      return sub;
    }
    if (!journal) {
      fail(
        new FlotillaError('config', `step "${key}" asks a person, and this run has no way to ask: give the run a store (createFlotilla({ store }), --store) so it can wait, or an ask function (run(chain, input, { ask }))`, {
          details: { reason: 'noHumanChannel', step: key },
        }),
      );
      return sub;
    }
    // The first pause fixes the expiry; later attempts keep it.
    const expiresAt = journal.waitingOn(key)?.expiresAt ?? (node.expiresInMs === undefined ? undefined : Date.now() + node.expiresInMs);
    if (expiresAt !== undefined) question.expiresAt = expiresAt;
    if (expiresAt !== undefined && Date.now() >= expiresAt) {
      if (node.onExpiry !== undefined && node.onExpiry !== 'fail') {
        const fallback = node.onExpiry.default;
        queueMicrotask(() => settle(fallback, 'expiry'));
      } else queueMicrotask(() => fail(expired(key, node.expiresInMs)));
      return sub;
    }
    try {
      toJournalJson(value, { step: key });
    } catch (e) {
      fail(e);
      return sub;
    }
    queueMicrotask(() => {
      if (!sub.closed) ctx.pause?.(question);
    });
    return sub;
  },
  children: () => [],
  validate(node, at) {
    if (typeof node.question !== 'string' && typeof node.question !== 'function') throw Errors.config(`${at} question`, 'a string or a function of the value');
    if (node.expiresInMs !== undefined && !(typeof node.expiresInMs === 'number' && node.expiresInMs > 0)) throw Errors.config(`${at} expiresInMs`, 'a number > 0', node.expiresInMs);
    if (node.onExpiry !== undefined && node.onExpiry !== 'fail') {
      if (node.expiresInMs === undefined) throw Errors.config(`${at} onExpiry`, 'an expiresInMs for it to apply after');
      decide(node, at, undefined, node.onExpiry.default, 'default');
    }
  },
};

function expired(key: string, ms: number | undefined): FlotillaError {
  return new FlotillaError('timeout', `step "${key}" waited for a person's answer past its expiry${ms === undefined ? '' : ` (${ms} ms)`} and declares no default`, {
    retryable: false,
    details: { reason: 'humanExpired', step: key },
  });
}

/** Checks an answer and makes the step's output; a wrong answer is `config` (reason `badAnswer`). */
function decide(node: HumanNode, key: string, value: unknown, answer: unknown, from: 'given' | 'ask' | 'expiry' | 'default'): HumanDecision {
  const bad = (what: string) =>
    from === 'ask'
      ? Errors.userCode(new Error(`the ask function answered ${what}`), { fn: 'ask', step: key })
      : new FlotillaError('config', `${from === 'default' ? `${key} onExpiry.default` : `the answer to step "${key}"`}: ${what}`, { details: { reason: 'badAnswer', step: key } });
  const a = answer as Partial<HumanAnswer> & { value?: unknown } | null;
  if (typeof a !== 'object' || a === null || !['approve', 'reject', 'edit'].includes(a.action as string)) throw bad(`expected { action: "approve" | "reject" | "edit" }, got ${JSON.stringify(answer)}`);
  if (a.comment !== undefined && typeof a.comment !== 'string') throw bad('comment must be a string');
  const comment = a.comment === undefined ? {} : { comment: a.comment };
  if (a.action !== 'edit') return { action: a.action!, approved: a.action === 'approve', value, ...comment };
  if (!('value' in a)) throw bad('an edit needs a value');
  let edited = a.value;
  if (node.schema) {
    const r = node.schema.parse(edited);
    if (!r.ok) throw bad(`the edited value does not match the step's schema: ${r.error}`);
    edited = r.value;
  }
  return { action: 'edit', approved: true, value: edited, ...comment };
}

/** What `step.human` takes. */
export interface HumanOptions<T> {
  id?: string;
  /** The question put to the person: text, or a (deterministic) function of the value. */
  question: string | ((value: T, ctx: StepContext) => string);
  /** An edited value must match it (it is parsed, so a zod schema may transform it). */
  schema?: OutputSchema<T>;
  /** How long a waiting run waits, from its first pause (with `ask`: from the question). */
  expiresInMs?: number;
  /** After the expiry: fail the run (`timeout`, reason `humanExpired`; the default), or take this answer. */
  onExpiry?: 'fail' | { default: HumanAnswer };
}

/** Pauses for a person's decision on the value: approve it, reject it, or edit it. */
export function human<T>(options: HumanOptions<T>): Step<T, HumanDecision<T>> {
  return { type: HUMAN, ...options } as unknown as HumanNode as Step<T, HumanDecision<T>>;
}
