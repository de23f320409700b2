import 'reflect-metadata';
import { type Flotilla, type FlotillaConfig, FlotillaError, type RunStore, createFlotilla } from '@flotilla/core';
import { type PipelineResult, codingPipeline, pipelineResult } from '@flotilla/agents';
import { type Backend, openBackend } from '@flotilla/router';
import { USAGE, parseDemoOptions, type DemoOptions } from './lib/cli-options';
import { demoBackendSpec } from './lib/backend';
import { ProgressRenderer } from '@flotilla/observability';
import { summaryTable } from './lib/summary-table';

export interface DemoIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Aborting cancels the run (the CLI wires Ctrl-C to it). */
  signal?: AbortSignal;
}

/** Exit codes: 0 approved run, 1 run failed or not approved, 2 bad usage or configuration, 130 cancelled (143 when by SIGTERM, set by the binary). */
export async function main(argv: string[], io: DemoIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  let options: DemoOptions;
  try {
    options = parseDemoOptions(argv, io.env, Boolean(io.stderr.isTTY));
  } catch (e) {
    io.stderr.write(`${(e as Error).message}\n`);
    return 2;
  }
  if (options.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  // npm prints its "> demo" banner on stdout unless run with -s; --json output is then not JSON alone.
  if (options.json && io.env['npm_lifecycle_event'] === 'demo' && io.env['npm_config_loglevel'] !== 'silent') {
    io.stderr.write('note: npm printed its banner on stdout before the JSON; run `npm run -s demo -- --json` for JSON alone\n');
  }

  let backend: Backend;
  try {
    backend = await openBackend(demoBackendSpec(options, io.env));
  } catch (e) {
    io.stderr.write(`flotilla demo: ${(e as Error).message}\n`);
    return 2;
  }
  // The one close: the Flotilla closes its client, and with it everything the backend holds.
  let store: RunStore | undefined;
  try {
    // Loaded only for --store: a demo without one loads no SQLite.
    if (options.store !== undefined) store = (await import('@flotilla/store-sqlite')).openSqliteRunStore(options.store);
  } catch (e) {
    await backend.client.close?.();
    io.stderr.write(`flotilla demo: ${(e as Error).message}\n`);
    return 2;
  }
  const flotilla = createFlotilla({ client: backend.client, config: demoConfig(options, backend.config), ...(store === undefined ? {} : { store }) });
  try {
    return await runPipeline(options, backend, flotilla, io);
  } finally {
    await flotilla.close();
    await store?.close();
  }
}

async function runPipeline(options: DemoOptions, backend: Backend, flotilla: Flotilla, io: DemoIo): Promise<number> {
  const pipeline = codingPipeline({ workerConcurrency: options.concurrency, maxReviewRounds: options.maxRounds });

  io.stderr.write(`flotilla demo — ${backend.description}\n${options.resume === undefined ? `objective: ${options.objective}` : `resuming run ${options.resume}`}\n\n`);
  const progress = new ProgressRenderer(io.stderr);
  progress.start();
  const run =
    options.resume === undefined
      ? flotilla.run(pipeline, options.objective, { signal: io.signal, deadlineMs: options.deadlineMs, ...(options.runId === undefined ? {} : { runId: options.runId }) })
      : flotilla.resume(pipeline, options.resume, { signal: io.signal, deadlineMs: options.deadlineMs });
  if (options.store !== undefined) io.stderr.write(`run ${run.runId} (store ${options.store}${options.resume === undefined ? '' : ', resumed'})\n`);
  run.events.subscribe((e) => progress.next(e));
  const ran = await run.result;
  // A resumed run's objective is the one it was started with.
  const start = ran.trace[0];
  const objective = options.resume !== undefined && start?.type === 'run.start' && typeof start.input === 'string' ? start.input : options.objective;
  const result = pipelineResult(pipeline, objective, ran);
  progress.stop();

  if (options.json) {
    const { run: _run, ...rest } = result;
    io.stdout.write(`${JSON.stringify({ ...rest, backend: backend.description })}\n`);
  } else {
    io.stdout.write(`\n${renderReport(result, backend.replay === 'instant')}`);
  }
  if (result.status === 'cancelled') return 130;
  return result.status === 'succeeded' && result.approved ? 0 : 1;
}

/** Models from the command line (--manager-model, ...) over the fleet file's agents section. */
function demoConfig(options: DemoOptions, fromFleet: FlotillaConfig | undefined): FlotillaConfig {
  const agents = { ...fromFleet?.agents };
  const models = { manager: options.managerModel, worker: options.workerModel, reviewer: options.reviewerModel };
  for (const [agent, model] of Object.entries(models)) if (model !== undefined) agents[agent] = { ...agents[agent], model };
  return { ...fromFleet, agents };
}

function renderReport(r: PipelineResult, instantReplay: boolean): string {
  const out: string[] = [];
  if (r.plan) {
    out.push(`Plan: ${r.plan.summary}`);
    r.plan.steps.forEach((s, i) => out.push(`  ${i + 1}. ${s.title}`));
    out.push('');
  }
  r.reviews.forEach((v, i) => {
    out.push(`Review ${i + 1}: ${v.approved ? 'approved' : 'changes requested'}`);
    for (const issue of v.issues) out.push(`  - ${issue}`);
  });
  if (r.reviews.length) out.push('');
  if (r.artifact) out.push('Final artifact:', '', r.artifact, '');
  if (r.error) out.push(`Run ${r.status}: ${r.error.kind}: ${r.error.message}`, '');
  out.push(summaryTable(r), '');
  out.push(
    `${r.status}${r.status === 'succeeded' ? (r.approved ? ', approved' : ', not approved') : ''} — ${r.modelCalls} model calls in ${(r.durationMs / 1000).toFixed(2)} s` +
      (instantReplay ? ' (instant replay; model timings as recorded; --pace recorded replays them in real time)' : ''),
    '',
  );
  return out.join('\n');
}

if (require.main === module || process.argv[1] === __filename) {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const codeOf = (signal: NodeJS.Signals) => (signal === 'SIGTERM' ? 143 : 130);
  // As in the flotilla CLI: the first SIGINT or SIGTERM cancels the run and lets it report; a second exits at once.
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) process.exit(codeOf(signal));
    received = signal;
    controller.abort(new Error(`interrupted (${signal})`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal }).then(
    (code) => process.exit(code === 130 && received ? codeOf(received) : code),
    (e) => {
      process.stderr.write(`flotilla demo: this is a bug in Flotilla, please report it with the command line and this trace:\n${FlotillaError.is(e) ? `${e.kind}: ` : ''}${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
