/**
 * The benchmarks' workload (docs/benchmarks.md): the manager -> 5 workers -> reviewer
 * pipeline, 7 model calls a run, on in-memory clients that answer at once.
 *
 * The agents are plain `defineAgent` specs whose prompts are the coding pipeline's texts built
 * with template literals, as the first round's agents built them: what is measured is the
 * engine, not prompt rendering (the pipeline's own template agents add their Handlebars
 * rendering, measured separately in docs/benchmarks.md).
 */
import { Observable, type Subscriber } from 'rxjs';
import {
  type ChatCallOptions,
  type ChatEvent,
  type ChatMessage,
  type ChatRequest,
  type FinalEvent,
  type Flotilla,
  type ModelClient,
  type Ref,
  defineAgent,
  defineChain,
  step,
} from '@flotilla/core';
import { PLAN as PLAN_SCHEMA, VERDICT as VERDICT_SCHEMA, type Plan, type PlanStep, type Verdict, combineStepOutputs } from '@flotilla/agents';
import type { FlotillaObserver } from '@flotilla/observability';

const PLAN = JSON.stringify({
  summary: 'reverse a string, with tests',
  steps: [1, 2, 3, 4, 5].map((i) => ({ id: `s${i}`, title: `Step ${i}`, instructions: `Write part ${i} of the code.` })),
});
const VERDICT = JSON.stringify({ approved: true, issues: [], suggestedEdits: [] });
const CODE = 'export const reverse = (s: string) => [...s].reverse().join("");';

export function reply(request: ChatRequest, options: ChatCallOptions | undefined): FinalEvent {
  const content = options?.agent === 'manager' ? PLAN : options?.agent === 'reviewer' ? VERDICT : CODE;
  return {
    type: 'final',
    message: { role: 'assistant', content },
    finishReason: 'stop',
    usage: { promptTokens: 40, completionTokens: 20 },
    timings: {},
    model: request.model,
  };
}

/** Answers synchronously: an already-resolved reply. */
export class InstantClient implements ModelClient {
  readonly name = 'instant';
  chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent> {
    return new Observable((s) => {
      s.next(reply(request, options));
      s.complete();
    });
  }
}

/** Answers on the microtask queue, so many runs can be in flight at once. */
export class MicrotaskClient implements ModelClient {
  readonly name = 'microtask';
  chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent> {
    return new Observable((s) => {
      let live = true;
      queueMicrotask(() => {
        if (!live) return;
        s.next(reply(request, options));
        s.complete();
      });
      return () => {
        live = false;
      };
    });
  }
}

/** Holds worker calls until released (keeping only their subscribers): runs stay parked mid-fan-out. */
export class HoldingClient implements ModelClient {
  readonly name = 'holding';
  held: Subscriber<ChatEvent>[] = [];
  chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent> {
    return new Observable((s) => {
      if (options?.agent === 'worker') this.held.push(s);
      else {
        s.next(reply(request, options));
        s.complete();
      }
    });
  }
  release(): void {
    const held = this.held;
    this.held = [];
    for (const s of held) {
      s.next(reply({ model: 'worker', messages: [] }, { agent: 'worker' }));
      s.complete();
    }
  }
}

export const OBJECTIVE = 'Create a function that reverses a string and tests it';

const system = (content: string): ChatMessage => Object.freeze({ role: 'system', content });
const MANAGER = system('You are the manager of a team of small, specialised models. Decompose the objective into 1 to 8 independent steps that workers can do in parallel. Each step must be self-contained: a worker sees only the objective and its own step. Reply with JSON only, matching the given schema.');
const WORKER = system('You are a worker on a team of small models. Do exactly the step you are given. When the step asks for code, reply with the code only, in one fenced block, with no commentary.');
const REVIEWER = system('You are a strict reviewer. Check the work against the objective. Approve only when it is correct and complete. List concrete issues and suggested edits otherwise. Reply with JSON only, matching the given schema.');

const manager = defineAgent({ name: 'manager', role: 'manager', model: 'neural-chat:latest', output: PLAN_SCHEMA, retries: 2, prompt: (objective: string) => [MANAGER, { role: 'user', content: `Objective: ${objective}` }] });
const worker = defineAgent({
  name: 'worker',
  model: 'qwen2.5-coder:7b-q4_0',
  retries: 2,
  prompt: (t: { objective: string; step: PlanStep }) => [WORKER, { role: 'user', content: `Objective: ${t.objective}\n\nYour step (${t.step.id}): ${t.step.title}\n${t.step.instructions}` }],
  result: (text: string) => text.trim(),
});
const reviewer = defineAgent({
  name: 'reviewer',
  role: 'reviewer',
  model: 'mistral:latest',
  output: VERDICT_SCHEMA,
  retries: 2,
  priority: 10,
  prompt: (t: { objective: string; artifact: string }) => [REVIEWER, { role: 'user', content: `Objective: ${t.objective}\n\nWork to review:\n${t.artifact}` }],
});
const reviser = defineAgent({
  name: 'reviser',
  model: 'qwen2.5-coder:7b-q4_0',
  prompt: (t: { objective: string; artifact: string; verdict: Verdict }) => [WORKER, { role: 'user', content: `Objective: ${t.objective}\n\nRevise:\n${t.artifact}` }],
});

export const pipeline = defineChain('manager-worker-reviewer', (objective: Ref<string>) => {
  const plan = step.call(manager, { id: 'plan' });
  const work = step.sequence(
    step.fanOut({ id: 'workers', over: (p: Plan, ctx) => p.steps.map((s) => ({ objective: ctx.get(objective), step: s })), step: step.call(worker), concurrency: 5 }),
    step.map((outputs: string[], ctx) => combineStepOutputs(ctx.get(plan), outputs), { id: 'combine' }),
  );
  return step.sequence(
    plan,
    step.reviewLoop(
      work,
      step.call(reviewer, { id: 'review', input: (r: { artifact: string }, ctx) => ({ objective: ctx.get(objective), artifact: r.artifact }) }),
      step.call(reviser, { id: 'revise', input: (r: { artifact: string; verdict: Verdict }, ctx) => ({ objective: ctx.get(objective), ...r }) }),
      { id: 'loop', until: (v) => v.approved, maxRounds: 2 },
    ),
  );
});

/** One run through the public API, its events subscribed (and observed by `observer`, when given). */
export function runOnce(f: Flotilla, onEnd: (ok: boolean) => void, observer?: FlotillaObserver): void {
  let events = 0;
  const run = f.run(pipeline, OBJECTIVE);
  observer?.observe(run);
  run.events.subscribe({
    next: (e) => {
      events++;
      if (e.type === 'run.end') onEnd(e.result.status === 'succeeded' && e.result.modelCalls === 7 && events > 10);
    },
  });
}

