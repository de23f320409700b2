import { z } from 'zod';
import { step } from '@flotilla/core';
import { Condition, stepBase } from '../parse/chain-file.schema';
import type { ConditionDecl } from '../parse/chain-file.schema';
import { INTEGER, arrayOf, mismatches, objectOf } from '../validate/static-type';
import type { Env } from '../validate/scope-checker';
import type { FileStepKind } from './file-step-kind';

interface ReviewLoopDecl {
  work: unknown;
  review: unknown;
  revise: unknown;
  until: ConditionDecl;
  maxRounds?: number;
}

/** `reviewLoop: { work, review, revise, until, maxRounds }`: work, then review and revise until `until` holds. */
export const REVIEW_LOOP_KIND: FileStepKind = {
  key: 'reviewLoop',
  schema: (child) =>
    z.strictObject({
      ...stepBase,
      reviewLoop: z.strictObject({
        work: child.describe('Produces the first artifact from the loop input'),
        review: child.describe('Gets {input, artifact, round} as value; returns a verdict'),
        revise: child.describe('Gets {input, artifact, verdict, round} as value; returns the next artifact'),
        until: Condition.describe('Evaluated on ${verdict}: the loop ends when true'),
        maxRounds: z.int().min(1).max(50).optional().describe('Reviews at most. Default 3'),
      }),
    }),
  children: () => [
    ['reviewLoop', 'work'],
    ['reviewLoop', 'review'],
    ['reviewLoop', 'revise'],
  ],
  compile(decl, { path, env, scope }, c) {
    const d = decl['reviewLoop'] as ReviewLoopDecl;
    const at = [...path, 'reviewLoop'];
    const work = c.steps(d.work, [...at, 'work'], env, scope);
    const review = c.steps(d.review, [...at, 'review'], { ...env, value: objectOf({ input: env.value, artifact: work.type, round: INTEGER }) }, scope);
    const untilEnv: Env = { names: new Map([['verdict', { type: review.type }]]), value: undefined, only: ['verdict'] };
    const until = c.condition(d.until, [...at, 'until'], untilEnv);
    if (d.until === true) c.warn([...at, 'revise'], 'unreachable', 'reviewLoop.revise never runs: until is always true', 'remove the loop, or give until a reference such as ${verdict.approved}');
    const revise = c.steps(d.revise, [...at, 'revise'], { ...env, value: objectOf({ input: env.value, artifact: work.type, verdict: review.type, round: INTEGER }) }, scope);
    for (const m of mismatches(revise.type, work.type, 'reviewLoop.revise output')) {
      c.error([...at, 'revise'], 'schemaMismatch', `${m}: revise must return what work returns (the artifact)`);
    }
    return {
      step: step.reviewLoop(work.step, review.step, revise.step, {
        ...(decl.id !== undefined && { id: decl.id }),
        until: (verdict) => until({ scope: {}, extra: { verdict } }),
        ...(d.maxRounds !== undefined && { maxRounds: d.maxRounds }),
      }),
      type: objectOf({ artifact: work.type, approved: { type: 'boolean' }, rounds: arrayOf(objectOf({ round: INTEGER, artifact: work.type, verdict: review.type })) }),
    };
  },
};
