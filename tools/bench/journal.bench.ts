/**
 * Durable runs benchmark (docs/benchmarks.md): what the run journal costs.
 *
 * 1. The journal's cost per completed call: one `append` to the SQLite store (default
 *    durability, WAL, `synchronous = NORMAL`) of a worker call's entry, p50 / p99; and with
 *    `durability: 'full'` for comparison.
 * 2. The engine benchmark's pipeline (7 calls a run, instant client) run after run, each
 *    awaited, with no store, the in-memory store and the SQLite store: engine time per call.
 * 3. Resume of a run with 1,000 journaled calls (a fan-out over 1,000 items, one call each,
 *    then one call that had not completed): from `resume()` to the first request the client
 *    receives.
 *
 * Run: npm run bench:journal   (add -- --quick for a short run)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Observable } from 'rxjs';
import { type ChatEvent, type ChatRequest, FlotillaError, type Flotilla, InMemoryRunStore, type RunStore, createFlotilla, defineAgent, defineChain, step } from '@flotilla/core';
import { SqliteRunStore, type SqliteDurability } from '@flotilla/store-sqlite';
import { InstantClient, OBJECTIVE, pipeline, reply } from './pipeline.workload';

const quick = process.argv.includes('--quick');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-journal-bench-'));
let files = 0;
const dbFile = () => path.join(dir, `runs-${files++}.db`);
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99) };
};

/** A worker call's entry as the engine writes it: code output and its call stats. */
const OUTPUT = `\`\`\`ts\n${'export const reverse = (s: string) => [...s].reverse().join("");\n'.repeat(8)}\`\`\``;
const CALL = { agent: 'worker', model: 'qwen2.5-coder:7b-q4_0', attempts: 1, usage: { promptTokens: 412, completionTokens: 160 }, timings: { totalMs: 2140.5, firstTokenMs: 210.2, queueMs: 0 } };

async function appendCost(durability: SqliteDurability): Promise<{ p50: number; p99: number; n: number }> {
  const store = new SqliteRunStore(dbFile(), { durability });
  const n = quick ? 2000 : 10_000;
  const perRun = 50;
  const times: number[] = [];
  for (let r = 0; r * perRun < n + 500; r++) {
    const runId = `run-${r}`;
    await store.createRun({ runId, chain: 'c', chainHash: 'h', input: OBJECTIVE, options: {}, usage: { promptTokens: 0, completionTokens: 0, modelCalls: 0 }, createdAt: Date.now() });
    for (let i = 0; i < perRun; i++) {
      const t = process.hrtime.bigint();
      await store.append(runId, { stepKey: `loop/work/workers/step[${i}]`, kind: 'call', output: OUTPUT, call: CALL, at: Date.now() }, { promptTokens: 412 * (i + 1), completionTokens: 160 * (i + 1), modelCalls: i + 1 });
      times.push(Number(process.hrtime.bigint() - t) / 1000);
    }
  }
  await store.close();
  return { ...stats(times.slice(500)), n: times.length - 500 };
}

async function perCall(label: string, store: () => RunStore | undefined, retention?: false): Promise<{ label: string; p50: number; p99: number }> {
  const s = store();
  // The default retention (a sweep every 100 finished runs) unless `retention` is false.
  const f: Flotilla = createFlotilla({ client: new InstantClient(), ...(s ? { store: s } : {}), ...(retention === false ? { retention } : {}) });
  const warm = quick ? 300 : 1000;
  const n = quick ? 1000 : 4000;
  const times: number[] = [];
  for (let i = 0; i < warm + n; i++) {
    const t = process.hrtime.bigint();
    const r = await f.run(pipeline, OBJECTIVE).result;
    if (r.status !== 'succeeded' || r.modelCalls !== 7) throw new Error(`run failed: ${r.error?.message}`);
    if (i >= warm) times.push(Number(process.hrtime.bigint() - t) / 1000 / 7);
  }
  await f.close();
  await s?.close();
  return { label, ...stats(times) };
}

async function resumeToFirstRequest(): Promise<{ ms: number; journaled: number }> {
  const file = dbFile();
  const item = defineAgent({ name: 'item', model: 'm', prompt: (n: number) => `item ${n}` });
  const last = defineAgent({ name: 'last', model: 'm', retries: 0, prompt: (xs: string[]) => `summarise ${xs.length}` });
  const chain = defineChain('thousand', step.sequence(step.fanOut({ over: (n: number) => Array.from({ length: n }, (_, i) => i), step: step.call(item), concurrency: 8 }), step.call(last, { id: 'last' })));
  const answer = (request: ChatRequest): Observable<ChatEvent> =>
    new Observable((s) => {
      s.next(reply(request, { agent: 'worker' }));
      s.complete();
    });
  // The first attempt journals 1,000 calls, then its last call fails.
  const first = new SqliteRunStore(file);
  const failing = createFlotilla({
    client: { name: 'fails-last', chat: (r) => (String(r.messages[0]!.content).startsWith('summarise') ? new Observable<ChatEvent>((s) => s.error(new FlotillaError('badRequest', 'not now'))) : answer(r)) },
    store: first,
  });
  const r1 = await failing.run(chain, 1000, { runId: 'thousand' }).result;
  await failing.close();
  await first.close();
  if (r1.status !== 'failed') throw new Error('the first attempt should fail on its last call');
  // A new store object on the same file, as a new process would open it.
  const store = new SqliteRunStore(file);
  let firstRequest = 0n;
  const f = createFlotilla({
    client: {
      name: 'timed',
      chat: (r) => {
        if (firstRequest === 0n) firstRequest = process.hrtime.bigint();
        return answer(r);
      },
    },
    store,
  });
  const t = process.hrtime.bigint();
  const resumed = await f.resume(chain, 'thousand').result;
  if (resumed.status !== 'succeeded') throw new Error(`resume failed: ${resumed.error?.message}`);
  const journaled = resumed.steps.filter((s) => s.call?.journaled).length;
  await f.close();
  await store.close();
  return { ms: Number(firstRequest - t) / 1e6, journaled };
}

async function main(): Promise<void> {
  const normal = await appendCost('normal');
  const full = await appendCost('full');
  const off = await perCall('no store', () => undefined);
  const memory = await perCall('in-memory store', () => new InMemoryRunStore());
  const sqlite = await perCall('SQLite store (normal)', () => new SqliteRunStore(dbFile()));
  const kept = await perCall('SQLite store (normal), retention off', () => new SqliteRunStore(dbFile()), false);
  const resume = await resumeToFirstRequest();
  console.log(`node ${process.version}, ${quick ? 'quick' : 'full'} run, ${new Date().toISOString()}`);
  console.log('| measure | p50 | p99 | target |\n|---|---|---|---|');
  console.log(`| journal append per completed call, SQLite durability normal (${normal.n} appends) | ${normal.p50.toFixed(1)} µs | ${normal.p99.toFixed(1)} µs | ≤ 1 ms at p99 |`);
  console.log(`| journal append per completed call, SQLite durability full (${full.n} appends) | ${full.p50.toFixed(1)} µs | ${full.p99.toFixed(1)} µs | - |`);
  for (const r of [off, memory, sqlite, kept]) console.log(`| engine time per call, awaited runs, ${r.label} | ${r.p50.toFixed(1)} µs | ${r.p99.toFixed(1)} µs | - |`);
  console.log(`| added per call by the SQLite store (p50 / p99 differences) | ${(sqlite.p50 - off.p50).toFixed(1)} µs | ${(sqlite.p99 - off.p99).toFixed(1)} µs | ≤ 1 ms at p99 |`);
  console.log(`| resume of ${resume.journaled} journaled calls: resume() to the first request | ${resume.ms.toFixed(1)} ms | | < 1 s |`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  fs.rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
