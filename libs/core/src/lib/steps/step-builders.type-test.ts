// Type tests of the step builders: compiled by the typecheck (`npm run typecheck`), never run.
// Each wrong edge is marked @ts-expect-error, so an edge that starts to compile fails CI.
import { z } from 'zod';
import { defineAgent } from '../agents/agent-spec';
import { zodSchema } from '../schema/zod-schema';
import type { ReviewOutcome } from './review-loop.step';
import { type Chain, defineChain } from './define-chain';
import type { Ref, Step } from './step';
import { step } from './step-builders';

interface Plan {
  steps: { title: string }[];
}
const planner = defineAgent({ name: 'planner', model: 'm', output: zodSchema(z.object({ steps: z.array(z.object({ title: z.string() })) })), prompt: (goal: string) => goal });
const doer = defineAgent({ name: 'doer', model: 'm', prompt: (task: { title: string }) => task.title });
const judge = defineAgent({
  name: 'judge',
  model: 'm',
  output: zodSchema(z.object({ ok: z.boolean() })),
  prompt: (r: { artifact: string }) => r.artifact,
});
const counter = defineAgent({ name: 'counter', model: 'm', prompt: (n: number) => String(n), result: (text: string) => text.length });

// Outputs flow into inputs: call -> fanOut -> map, with the plan read back by reference.
const chain = defineChain('typed', (goal: Ref<string>) => {
  const plan = step.call(planner, { id: 'plan' });
  return step.sequence(
    plan,
    step.fanOut({ over: (p) => p.steps, step: step.call(doer) }),
    step.map((done, ctx) => ({ goal: ctx.get(goal), plan: ctx.get(plan), done })),
  );
});
export const typed: Chain<string, { goal: string; plan: Plan; done: string[] }> = chain;

// An agent's output type comes from result(), else its output schema, else text.
export const counted: Step<number, number> = step.call(counter);
export const planned: Step<string, Plan> = step.call(planner);
export const texted: Step<{ title: string }, string> = step.call(doer);

// A review loop: each step's input follows from the ones before it.
export const loop: Step<{ title: string }, ReviewOutcome<string, { ok: boolean }>> = step.reviewLoop(
  step.call(doer),
  step.call(judge),
  step.call(doer, { input: (r) => ({ title: `${r.artifact} (after ${r.verdict.ok ? 'approval' : 'rejection'})` }) }),
  { until: (verdict) => verdict.ok },
);

// A branch without else passes the value through.
export const branched: Step<string, number | string> = step.branch({ if: (s: string) => s.length > 3, then: step.map((s: string) => s.length) });

// --- wrong edges ---
// @ts-expect-error the planner gives a Plan, the doer takes { title }
step.sequence(step.call(planner), step.call(doer));
// @ts-expect-error a Plan has no `foo`
step.sequence(step.call(planner), step.map((p) => p.foo));
// @ts-expect-error the counter takes a number, the input is a string
export const wrongInput: Chain<string, number> = defineChain('c', step.call(counter));
// @ts-expect-error the fan-out's items are plan steps, the counter takes numbers
step.sequence(step.call(planner), step.fanOut({ over: (p) => p.steps, step: step.call(counter) }));
// @ts-expect-error until gets the verdict, which has no `approved`
step.reviewLoop(step.call(doer), step.call(judge), step.call(doer, { input: (r) => ({ title: r.artifact }) }), { until: (v) => v.approved });
// @ts-expect-error revise must give back what work gives (text), not a number
step.reviewLoop(step.call(doer), step.call(judge), step.map((r: { artifact: string }) => r.artifact.length), { until: (v) => v.ok });
// @ts-expect-error an input function must return what the agent takes
step.call(counter, { input: (s: string) => s });
// @ts-expect-error ctx.get of a plan gives a Plan, not a string
step.map((_v: unknown, ctx) => ctx.get(step.call(planner, { id: 'plan' })).toUpperCase());
