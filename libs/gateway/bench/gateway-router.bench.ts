/**
 * The router benchmark's workload through the gateway (docs/benchmarks.md, "Gateway", "The
 * router workload over HTTP"): 200 pipeline runs (libs/router/bench/router-workload.ts) over
 * the same three simulated Ollama servers, once in-process (`runPolicy` of router.bench.ts,
 * unchanged) and once sent by independent HTTP clients to `flotilla serve` in its own process,
 * both at the same time scale in the same sitting, alternating which goes first.
 *
 * Through the gateway each run is one client with its own keep-alive connection pool, sending
 * non-streaming Ollama chats (`POST /api/chat`). The reviewer's priority 10 comes, as the
 * gateway takes it, from an API key: two tenants, `pipeline` (priority 0) and `review`
 * (priority 10). A call that fails is retried up to 3 times, as in-process; every failure is
 * counted by its status.
 *
 * Run: node tools/scripts/run-ts.cjs libs/gateway/bench/gateway-router.bench.ts [--time-scale 0.2] [--rounds 2] [--runs 200] [--dist]
 * (`--dist` runs the compiled CLI, dist/apps/cli/src/main.js, after `npx nx run-many -t build`.)
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PIPELINE, RUNS, SERVERS, arrivals } from '../../router/bench/router-workload';
import { startServe } from './serve-process';
import { benchRouterConfig, policyResult, runPolicy, startBenchServers, type PolicyResult } from '../../router/bench/router.bench';

const arg = (k: string) => {
  const i = process.argv.indexOf(`--${k}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const TIME_SCALE = Number(arg('time-scale') ?? 0.2);
const ROUNDS = Number(arg('rounds') ?? 1);
const RUN_COUNT = Number(arg('runs') ?? RUNS);
const DIST = process.argv.includes('--dist');
if (!(TIME_SCALE > 0) || !Number.isInteger(ROUNDS) || ROUNDS < 1 || !Number.isInteger(RUN_COUNT) || RUN_COUNT < 1) {
  throw new Error('--time-scale: a positive number; --rounds, --runs: positive integers');
}
/** Deadline of one HTTP call: far above any wait this workload produces (about 60 simulated s). */
const CALL_DEADLINE_MS = 600_000;
const KEYS = { pipeline: 'bench-pipeline-key', review: 'bench-review-key' };

interface Result extends PolicyResult {
  via: 'in-process' | 'gateway';
  /** Failed attempts by HTTP status (or `error: <code>` for a failed connection). */
  misses: Record<string, number>;
  loadBefore: number;
  loadAfter: number;
}

async function startGateway(config: string, tenants: string): Promise<{ url: string; child: ChildProcess }> {
  const env = { ...process.env, BENCH_PIPELINE_KEY: KEYS.pipeline, BENCH_REVIEW_KEY: KEYS.review };
  return startServe(['--config', config, '--tenants', tenants], { dist: DIST, env });
}

function postChat(agent: Agent, url: string, key: string, body: string): Promise<{ status: number; endpoint?: string }> {
  return new Promise((res, rej) => {
    const req = httpRequest(
      `${url}/api/chat`,
      { method: 'POST', agent, signal: AbortSignal.timeout(CALL_DEADLINE_MS), headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${key}` } },
      (r) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (d: string) => (text += d));
        r.on('error', rej);
        r.on('end', () => {
          // A reply held past the gateway's early-headers bound comes as 200 + whitespace + body: check the body too.
          let ok = r.statusCode === 200;
          try {
            const parsed = JSON.parse(text) as { done?: boolean; error?: string };
            ok = ok && parsed.done === true && parsed.error === undefined;
          } catch {
            ok = false;
          }
          res({ status: ok ? 200 : (r.statusCode ?? 0) === 200 ? -1 : (r.statusCode ?? 0), endpoint: r.headers['x-flotilla-endpoint'] as string | undefined });
        });
      },
    );
    req.on('error', rej);
    req.end(body);
  });
}

async function viaGateway(runs: number): Promise<Result> {
  const loadBefore = loadavg()[0]!;
  const { sims, urls } = await startBenchServers(TIME_SCALE);
  const dir = mkdtempSync(join(tmpdir(), 'gateway-router-bench-'));
  const config = join(dir, 'fleet.yaml');
  const tenants = join(dir, 'tenants.yaml');
  writeFileSync(config, JSON.stringify(benchRouterConfig('scored', urls, TIME_SCALE)));
  writeFileSync(
    tenants,
    JSON.stringify({ tenants: [{ name: 'pipeline', keyEnv: 'BENCH_PIPELINE_KEY', priority: 0 }, { name: 'review', keyEnv: 'BENCH_REVIEW_KEY', priority: 10 }] }),
  );
  const { url, child } = await startGateway(config, tenants);
  const misses: Record<string, number> = {};
  let failedCalls = 0;
  const perEndpoint: Record<string, number> = {};
  try {
    const starts = arrivals(runs);
    const t0 = performance.now();
    const latencies = await Promise.all(
      starts.map(async (offset, run) => {
        await new Promise((r) => setTimeout(r, offset * TIME_SCALE));
        const agent = new Agent({ keepAlive: true }); // one independent client per run
        const begun = performance.now();
        const call = async (st: (typeof PIPELINE)[number], i: number) => {
          const body = JSON.stringify({ model: st.model, messages: [{ role: 'user', content: `run ${run} ${st.agent} ${i}` }], stream: false });
          const key = st.priority > 0 ? KEYS.review : KEYS.pipeline;
          for (let attempt = 0; attempt < 3; attempt++) {
            let miss: string;
            try {
              const r = await postChat(agent, url, key, body);
              if (r.status === 200) {
                if (r.endpoint) perEndpoint[r.endpoint] = (perEndpoint[r.endpoint] ?? 0) + 1;
                return;
              }
              miss = r.status === -1 ? '200 with an error body' : String(r.status);
            } catch (e) {
              miss = `error: ${(e as NodeJS.ErrnoException).code ?? (e as Error).name}`;
            }
            failedCalls++;
            misses[miss] = (misses[miss] ?? 0) + 1;
          }
        };
        for (const st of PIPELINE) await Promise.all(Array.from({ length: st.calls }, (_, i) => call(st, i)));
        agent.destroy();
        return { begun, ended: performance.now() };
      }),
    );
    const callsPerServer = Object.fromEntries(SERVERS.map((s) => [s.name, perEndpoint[s.name] ?? 0]));
    return {
      via: 'gateway',
      ...policyResult('scored', { t0, starts, latencies, timeScale: TIME_SCALE, sims, failedCalls, callsPerServer }),
      misses,
      loadBefore,
      loadAfter: loadavg()[0]!,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(undefined)));
    await Promise.all(sims.map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  }
}

async function inProcess(runs: number): Promise<Result> {
  const loadBefore = loadavg()[0]!;
  const r = await runPolicy('scored', runs, TIME_SCALE);
  return { ...r, via: 'in-process', misses: r.failedCalls ? { 'failed calls': r.failedCalls } : {}, loadBefore, loadAfter: loadavg()[0]! };
}

async function main(): Promise<void> {
  const results: Result[] = [];
  console.error(`time scale ${TIME_SCALE} (one simulated second = ${(1000 * TIME_SCALE).toFixed(0)} ms real), ${RUN_COUNT} runs, ${ROUNDS} round(s), gateway from ${DIST ? 'dist' : 'source'}`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? [inProcess, viaGateway] : [viaGateway, inProcess];
    for (const measure of order) {
      const r = await measure(RUN_COUNT);
      console.error(JSON.stringify({ round: round + 1, ...r }));
      results.push(r);
    }
  }
  const s = (ms: number) => (ms / 1000).toFixed(1);
  console.log(`${new Date().toISOString()}, Node ${process.version}, time scale ${TIME_SCALE}, gateway from ${DIST ? 'dist' : 'source'}`);
  console.log('| round | via | makespan (sim s) | vs in-process | LB / makespan | p50 run | p95 run | model loads | evictions | failed calls (misses) | calls fast/mid/slow | load average before / after |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|---|');
  results.forEach((r, i) => {
    const round = Math.floor(i / 2);
    const ref = results.slice(round * 2, round * 2 + 2).find((x) => x.via === 'in-process')!;
    const vs = r.via === 'gateway' ? `${r.makespanMs >= ref.makespanMs ? '+' : ''}${((r.makespanMs / ref.makespanMs - 1) * 100).toFixed(1)}%` : '';
    const misses = Object.entries(r.misses).map(([k, n]) => `${n} x ${k}`).join(', ');
    const c = r.callsPerServer;
    console.log(
      `| ${round + 1} | ${r.via} | ${s(r.makespanMs)} | ${vs} | ${(r.efficiency * 100).toFixed(0)}% | ${s(r.p50RunMs)} | ${s(r.p95RunMs)} | ${r.loads} | ${r.evictions} | ${r.failedCalls}${misses ? ` (${misses})` : ''} | ${c['fast']}/${c['mid']}/${c['slow']} | ${r.loadBefore.toFixed(1)} / ${r.loadAfter.toFixed(1)} |`,
    );
  });
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
