import { type Chain, type Ref, type ReviewOutcome, type Step, defineChain, step } from '@flotilla/core';
import { manager, reviewer, worker } from './coding-pipeline.agents';
import type { Plan, Verdict } from './schemas';

export const CODING_PIPELINE = 'manager-worker-reviewer';

export interface CodingPipelineOptions {
  /** Workers in flight at once. @default 5 */
  workerConcurrency?: number;
  /** Reviews at most (the first included). @default 2 */
  maxReviewRounds?: number;
}

/** The pipeline's steps that a result is read by (`outputOf(result, pipeline.steps.plan)`). */
export interface CodingPipelineSteps {
  plan: Step<string, Plan>;
  workers: Step<Plan, string[]>;
  combine: Step<string[], string>;
  review: Step<{ artifact: string }, Verdict>;
  revise: Step<{ artifact: string; verdict: Verdict }, string>;
  loop: Step<Plan, ReviewOutcome<string, Verdict>>;
}

export interface CodingPipeline extends Chain<string, ReviewOutcome<string, Verdict>> {
  readonly steps: CodingPipelineSteps;
}

/** Joins the workers' outputs, in plan order, into one artifact the reviewer sees. */
export function combineStepOutputs(plan: Plan, outputs: readonly string[]): string {
  return plan.steps.map((s, i) => `// Step ${i + 1}: ${s.title}\n${outputs[i] ?? ''}`).join('\n\n');
}

/**
 * manager -> workers (fan-out over the plan) -> reviewer, revising until approved. The run
 * input is the objective; the output is the review loop's outcome.
 */
export function codingPipeline(options: CodingPipelineOptions = {}): CodingPipeline {
  let steps!: CodingPipelineSteps;
  const chain = defineChain(CODING_PIPELINE, (objective: Ref<string>) => {
    const plan = step.call(manager, { id: 'plan' });
    const workers = step.fanOut({
      id: 'workers',
      over: (p: Plan, ctx) => p.steps.map((s) => ({ objective: ctx.get(objective), step: s })),
      step: step.call(worker),
      concurrency: options.workerConcurrency ?? 5,
    });
    const combine = step.map((outputs: string[], ctx) => combineStepOutputs(ctx.get(plan), outputs), { id: 'combine' });
    const work = step.sequence(workers, combine);
    const review = step.call(reviewer, { id: 'review', input: (r: { artifact: string }, ctx) => ({ objective: ctx.get(objective), artifact: r.artifact }) });
    const revise = step.call(worker, {
      id: 'revise',
      input: (r: { artifact: string; verdict: Verdict }, ctx) => ({ objective: ctx.get(objective), artifact: r.artifact, verdict: r.verdict }),
    });
    const loop = step.reviewLoop(work, review, revise, { id: 'loop', until: (verdict) => verdict.approved, maxRounds: options.maxReviewRounds ?? 2 });
    steps = { plan, workers, combine, review, revise, loop };
    return step.sequence(plan, loop);
  });
  return { ...chain, steps };
}
