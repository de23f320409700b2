// Router benchmark: 200 pipeline runs over 3 simulated Ollama servers, seen over HTTP only;
// the router's policy against round-robin and least-connections, and against a lower bound.
//   node tools/scripts/run-ts.cjs libs/router/bench/router.bench.ts [--policies scored,round-robin] [--runs 200] [--json]
import { type ChatEvent, type FinalEvent } from '@flotilla/core';
import { Subject, lastValueFrom, type Observable } from 'rxjs';
// eslint-disable-next-line @nx/enforce-module-boundaries -- benchmark only: the simulated servers
import { OllamaSimServer } from '@flotilla/testing';
import { RouterConfigSchema, type RoutingPolicy } from '../src/lib/config/router-config.schema';
import { createFleetFromConfig } from '../src/lib/create-fleet';
import { EndpointState } from '../src/lib/endpoints/endpoint-state';
import { FleetRouter } from '../src/lib/fleet-router';
import { PIPELINE, POLICIES, RUNS, SERVERS, TIME_SCALE, arrivals } from './router-workload';

const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
const TOKENS_PER_CHUNK = 30;

export interface PolicyResult {
  policy: RoutingPolicy;
  makespanMs: number;
  p50RunMs: number;
  p95RunMs: number;
  loads: number;
  evictions: number;
  failedCalls: number;
  lowerBoundMs: number;
  /** Lower bound / makespan. */
  efficiency: number;
  callsPerServer: Record<string, number>;
}

/** Lower bound on the makespan, simulated ms: each run's critical path, and each model's total work over every slot that could serve it. */
export function lowerBoundMs(starts: readonly number[]): number {
  const fastest = Math.max(...SERVERS.map((s) => s.tokensPerSec));
  const criticalPath = PIPELINE.reduce((ms, st) => ms + 20 + (st.tokens / fastest) * 1000, 0);
  const byArrival = Math.max(...starts.map((a) => a + criticalPath));
  const minLoad = Math.min(...SERVERS.map((s) => s.loadMs));
  const capacity = SERVERS.reduce((c, s) => c + s.slots * s.tokensPerSec, 0); // tokens/s per model
  const byCapacity = Math.max(...PIPELINE.map((st) => minLoad + ((starts.length * st.calls * st.tokens) / capacity) * 1000));
  return Math.max(byArrival, byCapacity);
}

/** What one pass of the workload measured, in real ms (`performance.now()`), and what it counted. */
export interface WorkloadPass {
  /** When the first run could start. */
  t0: number;
  /** Each run's arrival offset, simulated ms (`arrivals`). */
  starts: readonly number[];
  /** When each run began and ended. */
  latencies: readonly { begun: number; ended: number }[];
  timeScale: number;
  /** The workload's servers, read for their loads and evictions. */
  sims: readonly OllamaSimServer[];
  failedCalls: number;
  callsPerServer: Record<string, number>;
}

/** A pass's figures in simulated ms: makespan, p50 and p95 run time, model loads and evictions over the servers, against the lower bound. */
export function policyResult(policy: RoutingPolicy, pass: WorkloadPass): PolicyResult {
  const end = Math.max(...pass.latencies.map((l) => l.ended));
  const runMs = pass.latencies.map((l) => (l.ended - l.begun) / pass.timeScale).sort((a, b) => a - b);
  const stats = pass.sims.map((s) => s.stats);
  const makespanMs = (end - pass.t0) / pass.timeScale;
  const lb = lowerBoundMs(pass.starts);
  return {
    policy,
    makespanMs,
    p50RunMs: runMs[Math.floor(runMs.length * 0.5)]!,
    p95RunMs: runMs[Math.min(runMs.length - 1, Math.floor(runMs.length * 0.95))]!,
    loads: stats.reduce((n, s) => n + s.loads, 0),
    evictions: stats.reduce((n, s) => n + s.evictions, 0),
    failedCalls: pass.failedCalls,
    lowerBoundMs: lb,
    efficiency: lb / makespanMs,
    callsPerServer: pass.callsPerServer,
  };
}

/** The three simulated Ollama servers of the workload, started at `timeScale`; their URLs in SERVERS' order. */
export async function startBenchServers(timeScale = TIME_SCALE): Promise<{ sims: OllamaSimServer[]; urls: string[] }> {
  const sims = SERVERS.map(
    (s) =>
      new OllamaSimServer({
        models: PIPELINE.map((st) => ({ name: st.model, tokensPerSec: s.tokensPerSec, promptTokensPerSec: s.promptTokensPerSec, loadMs: s.loadMs })),
        numParallel: s.slots,
        maxLoadedModels: s.maxLoaded,
        keepAlive: '1h',
        timeScale,
        script: (ctx) => {
          const st = PIPELINE.find((p) => p.model === ctx.model)!;
          return { text: words(st.tokens, 'w'), chunks: Math.ceil(st.tokens / TOKENS_PER_CHUNK) };
        },
      }),
  );
  const urls = await Promise.all(sims.map((s) => s.start()));
  return { sims, urls };
}

/** The router configuration of the workload over `urls` (one per server, SERVERS' order). */
export function benchRouterConfig(policy: RoutingPolicy, urls: readonly string[], timeScale = TIME_SCALE) {
  return {
    endpoints: SERVERS.map((s, i) => ({ name: s.name, kind: 'ollama' as const, url: urls[i]!, slots: s.slots, maxLoadedModels: s.maxLoaded })),
    // Loads take 40-120 ms of real time at 0.02; a real deployment keeps the 3 s default.
    routing: { policy, defaultLoadMs: Math.round(4_000 * timeScale), healthIntervalMs: 0 },
  };
}

export async function runPolicy(policy: RoutingPolicy, runs: number, timeScale = TIME_SCALE): Promise<PolicyResult> {
  const { sims, urls } = await startBenchServers(timeScale);
  const fleet = createFleetFromConfig(RouterConfigSchema.parse(benchRouterConfig(policy, urls, timeScale)));
  await fleet.start();
  const starts = arrivals(runs);
  const t0 = performance.now();
  let failedCalls = 0;
  const call = async (run: number, st: (typeof PIPELINE)[number], i: number): Promise<FinalEvent | undefined> => {
    const request = { model: st.model, messages: [{ role: 'user' as const, content: `run ${run} ${st.agent} ${i}` }] };
    const options = { agent: st.agent, priority: st.priority, conversation: `run-${run}` };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const events = fleet.router.chat(request, options) as Observable<ChatEvent>;
        const last = await lastValueFrom(events);
        return last.type === 'final' ? last : undefined;
      } catch {
        failedCalls++;
      }
    }
    return undefined;
  };
  const latencies = await Promise.all(
    starts.map(async (offset, run) => {
      await new Promise((r) => setTimeout(r, offset * timeScale));
      const begun = performance.now();
      for (const st of PIPELINE) await Promise.all(Array.from({ length: st.calls }, (_, i) => call(run, st, i)));
      return { begun, ended: performance.now() };
    }),
  );
  const report = fleet.router.report();
  await fleet.close();
  const result = policyResult(policy, { t0, starts, latencies, timeScale, sims, failedCalls, callsPerServer: Object.fromEntries(report.endpoints.map((e) => [e.name, e.dispatched])) });
  await Promise.all(sims.map((s) => s.close()));
  return result;
}

/**
 * Cost of one routing decision with `depth` calls queued: three endpoints with one slot each
 * whose calls never finish on their own; each step completes one call, which frees its slot
 * and makes the router pick the next call from the queue (and score the endpoints), then
 * enqueues one more to keep the depth.
 */
export async function decisionMicrobench(
  depth = 1_000,
  steps = 20_000,
): Promise<{ meanUs: number; p50Us: number; p99Us: number; dispatched: number; queuedAtEnd: number }> {
  const pending: Subject<ChatEvent>[] = [];
  let dispatched = 0;
  const client = {
    name: 'never',
    chat: () => {
      dispatched++;
      const s = new Subject<ChatEvent>();
      pending.push(s);
      return s.asObservable();
    },
  };
  const endpoints = ['a', 'b', 'c'].map(
    (name) => new EndpointState(RouterConfigSchema.parse({ endpoints: [{ name, kind: 'fixture', cassettes: ['x'], slots: 1 }] }).endpoints[0]!, client),
  );
  const router = new FleetRouter({ endpoints, routing: { affinity: true } });
  const models = PIPELINE.map((p) => p.model);
  let n = 0;
  const enqueue = () => {
    const i = n++;
    router.chat({ model: models[i % models.length]!, messages: [] }, { priority: i % 7 === 0 ? 10 : 0, conversation: `c${i % 50}` }).subscribe({ error: () => undefined });
  };
  for (let i = 0; i < depth + 3; i++) enqueue();
  const samples: number[] = [];
  const final: ChatEvent = { type: 'final', message: { role: 'assistant', content: '' }, finishReason: 'stop', usage: { promptTokens: 1, completionTokens: 1 }, timings: {}, model: 'm' };
  for (let i = 0; i < steps; i++) {
    const s = pending.shift()!;
    const t = performance.now();
    s.next(final);
    s.complete(); // frees a slot: the router decides and dispatches the next queued call
    samples.push((performance.now() - t) * 1000);
    enqueue();
  }
  const queuedAtEnd = router.queued;
  const dispatchedAtEnd = dispatched;
  if (queuedAtEnd < depth - 10) throw new Error(`queue drained: ${queuedAtEnd}`);
  await router.close();
  samples.sort((a, b) => a - b);
  return {
    meanUs: samples.reduce((a, b) => a + b, 0) / samples.length,
    p50Us: samples[Math.floor(samples.length / 2)]!,
    p99Us: samples[Math.floor(samples.length * 0.99)]!,
    dispatched: dispatchedAtEnd,
    queuedAtEnd,
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const arg = (k: string) => {
    const i = argv.indexOf(`--${k}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const policies = (arg('policies')?.split(',') ?? [...POLICIES]) as RoutingPolicy[];
  const runs = Number(arg('runs') ?? RUNS);
  const micro = await decisionMicrobench();
  console.error(`decision with 1,000 queued: mean ${micro.meanUs.toFixed(1)} µs, p50 ${micro.p50Us.toFixed(1)} µs, p99 ${micro.p99Us.toFixed(1)} µs`);
  const results: PolicyResult[] = [];
  for (const p of policies) {
    const r = await runPolicy(p, runs);
    console.error(JSON.stringify(r));
    results.push(r);
  }
  const s = (ms: number) => (ms / 1000).toFixed(1);
  console.log('| policy | makespan (sim s) | lower bound | LB / makespan | p50 run | p95 run | model loads | evictions | failed calls | calls fast/mid/slow |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const c = r.callsPerServer;
    console.log(
      `| ${r.policy} | ${s(r.makespanMs)} | ${s(r.lowerBoundMs)} | ${(r.efficiency * 100).toFixed(0)}% | ${s(r.p50RunMs)} | ${s(r.p95RunMs)} | ${r.loads} | ${r.evictions} | ${r.failedCalls} | ${c['fast']}/${c['mid']}/${c['slow']} |`,
    );
  }
  console.log(`\nrouting decision with 1,000 queued: mean ${micro.meanUs.toFixed(1)} µs, p50 ${micro.p50Us.toFixed(1)} µs, p99 ${micro.p99Us.toFixed(1)} µs`);
  if (argv.includes('--json')) console.log(JSON.stringify({ results, micro }));
}

if (require.main === module || process.argv[1] === __filename) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
