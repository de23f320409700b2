import { z } from 'zod';
import { zodSchema } from '@flotilla/core';

// Schemas of the manager/worker/reviewer pipeline: one declaration gives the TypeScript
// types and the JSON Schema sent to the models (kept inside the portable subset:
// every property required, strings bounded so grammar-constrained generation ends).

export const PlanStepSchema = z.object({
  id: z.string().max(40).describe('short kebab-case id, unique in the plan'),
  title: z.string().max(120),
  instructions: z.string().max(1200).describe('what the worker must produce, self-contained'),
});

export const PlanSchema = z.object({
  summary: z.string().max(400),
  steps: z.array(PlanStepSchema).min(1).max(8),
});

export const VerdictSchema = z.object({
  approved: z.boolean(),
  issues: z.array(z.string().max(400)).max(10),
  suggestedEdits: z.array(z.string().max(600)).max(10),
});

export type PlanStep = z.output<typeof PlanStepSchema>;
export type Plan = z.output<typeof PlanSchema>;
export type Verdict = z.output<typeof VerdictSchema>;

export const PLAN = zodSchema(PlanSchema, 'manager plan schema');
export const VERDICT = zodSchema(VerdictSchema, 'reviewer verdict schema');
