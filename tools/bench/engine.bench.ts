/**
 * Engine benchmark (docs/benchmarks.md): the manager -> 5 workers -> reviewer pipeline,
 * 7 model calls a run, on an instant in-memory client, through the public API
 * (createFlotilla().run() and its run handle), with the run's events subscribed and each
 * run's trace kept until the run ends.
 *
 * The workload is in pipeline.workload.ts (shared with the observability benchmark).
 *
 * Run: npm run bench:engine   (node --expose-gc; add -- --quick for a short run)
 */
import { createFlotilla } from '@flotilla/core';
import { HoldingClient, InstantClient, MicrotaskClient, runOnce } from './pipeline.workload';

const quick = process.argv.includes('--quick');
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc (npm run bench:engine does)');
  process.exit(2);
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
