import { z } from 'zod';
import { zodSchema } from '@flotilla/core';
import { templateAgent } from '@flotilla/chain';
import { PLAN, type PlanStep, VERDICT, type Verdict } from './schemas';

// The coding pipeline's three agents, declared once: prompts as templates (the chain
// language's logic-less Handlebars) and schemas in zod. The TypeScript pipeline runs these
// specs; examples/coding-pipeline/chain.yaml is written from them (example-chain.ts).

export const DEFAULT_MANAGER_MODEL = 'neural-chat:latest';
export const DEFAULT_WORKER_MODEL = 'qwen2.5-coder:7b-q4_0';
export const DEFAULT_REVIEWER_MODEL = 'mistral:latest';

/** A worker's task: one plan step of the objective. */
export interface WorkerTask {
  objective: string;
  step: PlanStep;
}

/** A worker's revision: the whole artifact, with the reviewer's verdict. */
export interface RevisionTask {
  objective: string;
  artifact: string;
  verdict: Verdict;
}

export type WorkerInput = WorkerTask | RevisionTask;

export const ReviewTaskSchema = z.object({ objective: z.string(), artifact: z.string() });
export type ReviewTask = z.output<typeof ReviewTaskSchema>;

/** Decomposes an objective into a structured plan. */
export const manager = templateAgent({
  name: 'manager',
  role: 'manager',
  model: DEFAULT_MANAGER_MODEL,
  retries: 2,
  timeouts: { firstTokenMs: 120_000 },
  input: zodSchema(z.string(), 'manager input schema'),
  output: PLAN,
  system: [
    'You are the manager of a team of small, specialised models.',
    'Decompose the objective into 1 to 8 independent steps that workers can do in parallel.',
    'Each step must be self-contained: a worker sees only the objective and its own step.',
    'Reply with JSON only, matching the given schema.',
  ].join(' '),
  prompt: 'Objective: {{this}}',
});

/** Does one plan step, or revises the whole artifact after a review. */
export const worker = templateAgent<WorkerInput>({
  name: 'worker',
  role: 'worker',
  model: DEFAULT_WORKER_MODEL,
  retries: 2,
  system: [
    'You are a worker on a team of small models. Do exactly the step you are given.',
    'When the step asks for code, reply with the code only, in one fenced block, with no commentary.',
  ].join(' '),
  prompt: [
    'Objective: {{objective}}',
    '',
    '{{#if step}}',
    'Your step ({{step.id}}): {{step.title}}',
    '{{step.instructions}}',
    '{{else}}',
    'Revise this work so that the reviewer approves it. Reply with the complete revised work.',
    '',
    '{{artifact}}',
    '',
    "Reviewer's issues:",
    '{{#each verdict.issues}}',
    '- {{this}}',
    '{{else}}',
    '- (none listed)',
    '{{/each}}',
    '',
    'Suggested edits:',
    '{{#each verdict.suggestedEdits}}',
    '- {{this}}',
    '{{else}}',
    '- (none listed)',
    '{{/each}}',
    '{{/if}}',
  ].join('\n'),
});

/** Critiques the combined work; its verdict decides whether another round runs. */
export const reviewer = templateAgent({
  name: 'reviewer',
  role: 'reviewer',
  model: DEFAULT_REVIEWER_MODEL,
  retries: 2,
  priority: 10,
  input: zodSchema(ReviewTaskSchema, 'reviewer input schema'),
  output: VERDICT,
  system: [
    'You are a strict reviewer. Check the work against the objective.',
    'Approve only when it is correct and complete. List concrete issues and suggested edits otherwise.',
    'Reply with JSON only, matching the given schema.',
  ].join(' '),
  prompt: ['Objective: {{objective}}', '', 'Work to review:', '{{artifact}}'].join('\n'),
});
