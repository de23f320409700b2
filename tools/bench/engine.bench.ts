/**
 * Engine benchmark (docs/benchmarks.md): the manager -> 5 workers -> reviewer pipeline,
 * 7 model calls a run, on an instant in-memory client, through the public API
 * (createFlotilla().run() and its run handle), with the run's events subscribed and each
 * run's trace kept until the run ends.
 *
 * The agents are plain `defineAgent` specs whose prompts are the coding pipeline's texts built
 * with template literals, as the first round's agents built them: the figure is the engine's
 * cost, not prompt rendering (the pipeline's own template agents add their Handlebars
 * rendering, measured separately in docs/benchmarks.md).
 *
 * Run: npm run bench:engine   (node --expose-gc; add -- --quick for a short run)
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
  createFlotilla,
  defineAgent,
  defineChain,
  step,
} from '@flotilla/core';
import { PLAN as PLAN_SCHEMA, VERDICT as VERDICT_SCHEMA, type Plan, type PlanStep, type Verdict, combineStepOutputs } from '@flotilla/agents';

const quick = process.argv.includes('--quick');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc (npm run bench:engine does)');
  process.exit(2);
}

const PLAN = JSON.stringify({
  summary: 'reverse a string, with tests',
  steps: [1, 2, 3, 4, 5].map((i) => ({ id: `s${i}`, title: `Step ${i}`, instructions: `Write part ${i} of the code.` })),
});
const VERDICT = JSON.stringify({ approved: true, issues: [], suggestedEdits: [] });
const CODE = 'export const reverse = (s: string) => [...s].reverse().join("");';

function reply(request: ChatRequest, options: ChatCallOptions | undefined): FinalEvent {
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
class InstantClient implements ModelClient {
  readonly name = 'instant';
  chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent> {
    return new Observable((s) => {
      s.next(reply(request, options));
      s.complete();
    });
  }
}

/** Answers on the microtask queue, so many runs can be in flight at once. */
class MicrotaskClient implements ModelClient {
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
class HoldingClient implements ModelClient {
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

const OBJECTIVE = 'Create a function that reverses a string and tests it';

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

const pipeline = defineChain('manager-worker-reviewer', (objective: Ref<string>) => {
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

function runOnce(f: Flotilla, onEnd: (ok: boolean) => void): void {
  let events = 0;
  f.run(pipeline, OBJECTIVE).events.subscribe({
    next: (e) => {
      events++;
      if (e.type === 'run.end') onEnd(e.result.status === 'succeeded' && e.result.modelCalls === 7 && events > 10);
    },
  });
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const heapUsed = () => {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
};

async function perCallLatency(): Promise<{ p50: number; p99: number; runs: number }> {
  const o = createFlotilla({ client: new InstantClient() });
  const warm = quick ? 1000 : 5000;
  const n = quick ? 5000 : 20000;
  let ok = 0;
  for (let i = 0; i < warm; i++) runOnce(o, (good) => (ok += good ? 1 : 0));
  const perCall: number[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    runOnce(o, (good) => (ok += good ? 1 : 0));
    perCall[i] = Number(process.hrtime.bigint() - t) / 1000 / 7;
  }
  if (ok !== warm + n) throw new Error(`only ${ok} of ${warm + n} runs succeeded`);
  perCall.sort((a, b) => a - b);
  return { p50: pct(perCall, 50), p99: pct(perCall, 99), runs: n };
}

async function throughput(inFlight: number): Promise<{ runsPerSec: number; runs: number }> {
  const o = createFlotilla({ client: new MicrotaskClient() });
  const total = quick ? 20_000 : 100_000;
  const measure = (count: number) =>
    new Promise<number>((resolve, reject) => {
      let started = 0;
      let finished = 0;
      const t = process.hrtime.bigint();
      const launch = () => {
        started++;
        runOnce(o, (good) => {
          if (!good) reject(new Error('run failed'));
          finished++;
          if (finished === count) resolve(Number(process.hrtime.bigint() - t) / 1e9);
          else if (started < count) launch();
        });
      };
      for (let i = 0; i < Math.min(inFlight, count); i++) launch();
    });
  await measure(Math.min(total, 10_000)); // warm-up
  const secs = await measure(total);
  return { runsPerSec: total / secs, runs: total };
}

async function heapPerInFlightRun(): Promise<{ bytes: number; runs: number }> {
  const client = new HoldingClient();
  const o = createFlotilla({ client });
  let ok = 0;
  for (let i = 0; i < 200; i++) runOnce(o, (g) => (ok += g ? 1 : 0)); // warm-up
  client.release();
  const runs = quick ? 2000 : 10_000;
  const before = heapUsed();
  for (let i = 0; i < runs; i++) runOnce(o, (g) => (ok += g ? 1 : 0));
  if (client.held.length !== runs * 5) throw new Error(`expected ${runs * 5} held worker calls, got ${client.held.length}`);
  const after = heapUsed();
  const bytes = (after - before) / runs;
  client.release();
  if (ok !== 200 + runs) throw new Error(`only ${ok} runs finished after release`);
  return { bytes, runs };
}

async function retainedPerFinishedRun(): Promise<{ bytes: number; runs: number }> {
  const o = createFlotilla({ client: new InstantClient() });
  let ok = 0;
  for (let i = 0; i < 2000; i++) runOnce(o, (g) => (ok += g ? 1 : 0));
  const runs = quick ? 5000 : 20_000;
  const before = heapUsed();
  for (let i = 0; i < runs; i++) runOnce(o, (g) => (ok += g ? 1 : 0));
  const after = heapUsed();
  if (ok !== 2000 + runs) throw new Error('runs failed');
  return { bytes: (after - before) / runs, runs };
}

async function main(): Promise<void> {
  const lat = await perCallLatency();
  const thr = await throughput(1000);
  const heap = await heapPerInFlightRun();
  const kept = await retainedPerFinishedRun();
  const rows = [
    ['engine time per model call, p50', `${lat.p50.toFixed(2)} µs`, '≤ 5 µs', lat.p50 <= 5],
    ['engine time per model call, p99', `${lat.p99.toFixed(2)} µs`, '-', true],
    ['runs per second, 1,000 in flight', `${Math.round(thr.runsPerSec).toLocaleString('en-US')}`, '≥ 20,000', thr.runsPerSec >= 20_000],
    ['heap per in-flight run (10,000 mid-fan-out)', `${(heap.bytes / 1024).toFixed(1)} KB`, '≤ 15 KB', heap.bytes <= 15 * 1024],
    ['heap retained per finished run (20,000 runs)', `${heap.bytes >= 0 ? '' : ''}${kept.bytes.toFixed(1)} B`, '≈ 0', kept.bytes < 64],
  ] as const;
  console.log(`node ${process.version}, ${quick ? 'quick' : 'full'} run, ${new Date().toISOString()}`);
  console.log('| measure | result | target | met |\n|---|---|---|---|');
  for (const [m, r, t, met] of rows) console.log(`| ${m} | ${r} | ${t} | ${met ? 'yes' : 'NO'} |`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
