import { type Chain, type ReviewOutcome, defineChain, step } from '@flotilla/core';
import { ManagerAgent } from './manager.agent';
import { WorkerAgent, type RevisionTask, type WorkerTask } from './worker.agent';
import { ReviewerAgent, type ReviewTask } from './reviewer.agent';
import type { Plan, Verdict } from './schemas';

export const CODING_PIPELINE = 'manager-worker-reviewer';

export interface CodingPipelineOptions {
  /** Workers in flight at once. @default 5 */
  workerConcurrency?: number;
  /** Reviews at most (the first included). @default 2 */
  maxReviewRounds?: number;
}

/** Joins the workers' outputs, in plan order, into one artifact the reviewer sees. */
export function combineStepOutputs(plan: Plan, outputs: readonly string[]): string {
  return plan.steps.map((s, i) => `// Step ${i + 1}: ${s.title}\n${outputs[i] ?? ''}`).join('\n\n');
}

/**
 * manager -> workers (fan-out over the plan) -> reviewer, revising until approved.
 * The run input is the objective; the output is the review loop's outcome.
 */
export function codingPipeline(options: CodingPipelineOptions = {}): Chain<string, ReviewOutcome<string, Verdict>> {
  const objective = (scope: Record<string, unknown>) => scope['input'] as string;
  return defineChain(
    CODING_PIPELINE,
    step.sequence([
      step.call(ManagerAgent, { as: 'plan' }),
      step.reviewLoop({
        work: step.sequence([
          step.fanOut({
            name: 'workers',
            items: (plan, scope): WorkerTask[] => (plan as Plan).steps.map((s) => ({ objective: objective(scope), step: s })),
            step: step.call(WorkerAgent),
            concurrency: options.workerConcurrency ?? 5,
          }),
          step.map((outputs, scope) => combineStepOutputs(scope['plan'] as Plan, outputs as string[]), { name: 'combine' }),
        ]),
        review: step.call(ReviewerAgent, {
          input: (v, scope): ReviewTask => ({ objective: objective(scope), artifact: (v as { artifact: string }).artifact }),
        }),
        revise: step.call(WorkerAgent, {
          name: 'revise',
          input: (v, scope): RevisionTask => {
            const { artifact, verdict } = v as { artifact: string; verdict: Verdict };
            return { objective: objective(scope), artifact, verdict };
          },
        }),
        approved: (verdict) => (verdict as Verdict).approved,
        maxRounds: options.maxReviewRounds ?? 2,
      }),
    ]),
  );
}
