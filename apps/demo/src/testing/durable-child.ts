/**
 * A process for the crash tests (durable-kill.system.spec.ts): runs, or resumes, the coding
 * pipeline on the demo's cassettes at a paced replay, journaled in a SQLite run store, and
 * logs every model call the fixture client receives (with its step key) to a file, one JSON
 * line per call, written synchronously so a SIGKILL cannot lose it.
 *
 *   node tools/scripts/run-ts.cjs apps/demo/src/testing/durable-child.ts
 *     --db <file> --run-id <id> --log <file> [--resume] [--speed <x>] [--kill-in-write <n>]
 *
 * Prints `started` once the run is under way, and the result as one JSON line at the end.
 * With --kill-in-write n it SIGKILLs itself inside its n-th journal write (after the
 * transaction's first statement, before the commit).
 */
import 'reflect-metadata';
import * as fs from 'node:fs';
import { type ChatCallOptions, type ChatRequest, type ModelClient, type RunStore, createFlotilla, parseFlags } from '@flotilla/core';
import { FixtureModelClient } from '@flotilla/adapter-fixture';
import { codingPipeline } from '@flotilla/agents';
import { SHIPPED_CASSETTES } from '../lib/backend';

export const OBJECTIVE = 'Create a function that reverses a string and tests it';

/** Logs each call as it reaches the fixture client: `{ pid, step, agent }`. */
function logged(client: ModelClient, log: string): ModelClient {
  return {
    name: client.name,
    chat: (request: ChatRequest, options?: ChatCallOptions) => {
      fs.appendFileSync(log, `${JSON.stringify({ pid: process.pid, step: options?.step, agent: options?.agent })}\n`);
      return client.chat(request, options);
    },
    close: () => client.close?.() ?? Promise.resolve(),
  };
}

async function main(): Promise<void> {
  const { values } = parseFlags('durable-child', process.argv.slice(2), {
    db: { type: 'string' },
    'run-id': { type: 'string' },
    log: { type: 'string' },
    resume: { type: 'boolean', default: false },
    speed: { type: 'string' },
    'kill-in-write': { type: 'string' },
  });
  const killAt = values['kill-in-write'] === undefined ? undefined : Number(values['kill-in-write']);
  let writes = 0;
  // Loaded as the demo loads it (lazily).
  const { SqliteRunStore } = await import('@flotilla/store-sqlite');
  const { HookedSqliteRunStore } = await import('@flotilla/store-sqlite/testing');
  const store: RunStore =
    killAt === undefined
      ? new SqliteRunStore(values.db!)
      : new HookedSqliteRunStore(values.db!, () => {
          if (++writes === killAt) process.kill(process.pid, 'SIGKILL');
        });
  const fixture = new FixtureModelClient({ cassette: SHIPPED_CASSETTES, pace: 'recorded', speed: Number(values.speed ?? 10) });
  const flotilla = createFlotilla({ client: logged(fixture, values.log!), store });
  const pipeline = codingPipeline();
  const run = values.resume ? flotilla.resume(pipeline, values['run-id']!) : flotilla.run(pipeline, OBJECTIVE, { runId: values['run-id']! });
  process.stdout.write('started\n');
  const result = await run.result;
  await flotilla.close();
  await store.close();
  const steps = Object.fromEntries(result.steps.map((s) => [s.key, s.output]));
  const journaled = result.steps.filter((s) => s.call?.journaled).map((s) => s.key);
  process.stdout.write(`${JSON.stringify({ status: result.status, error: result.error, output: result.output, steps, journaled })}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
