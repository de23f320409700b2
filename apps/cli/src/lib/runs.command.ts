import * as fs from 'node:fs';
import { DEFAULT_RETENTION, FlotillaError, type HumanAnswer, pruneRuns, type RunRecord, type RunStore, type StoredRunStatus, parseFlags } from '@flotilla/core';
import type { CliIo } from './cli-io';
import { EXIT } from './exit-codes';
import { oneOf, positiveNumber } from './flags';
import { runCommand } from './run.command';
import { openSqliteStore } from './sqlite-store';

export const RUNS_USAGE = `flotilla runs <list|show|resume|answer|cancel|prune> [options]
Durable runs in a run store: --store <file> (env FLOTILLA_STORE) names it, for every subcommand.
  runs list [--status <status>] [--limit <n>] [--json]
                          runs, most recently updated first (status: running, waiting, succeeded,
                          failed, cancelled)
  runs show <id> [--json] the run: chain, status, input, usage, output or error, and the question
                          it waits on
  runs resume <id> [run options]
                          continue the run from its journal (the chain file it started from;
                          --chain <file> names another); takes flotilla run's backend and output flags
  runs answer <id> --approve | --reject | --edit <json> | --edit-file <file> [--comment <text>] [run options]
                          answer the question the run waits on and continue it (the answer is
                          journaled: a later resume does not ask again); an edit is checked
                          against the step's schema
  runs cancel <id>        end a waiting or interrupted run as cancelled (refused while a process
                          executes it)
  runs prune [--older-than <age>] [--keep <n>]
                          delete finished runs (succeeded, failed, cancelled) last updated more than
                          <age> ago (30m, 12h, 7d), or all but the <n> most recent; never a running
                          or waiting run. Without either flag, the default retention that every
                          store applies by itself: --older-than 30d --keep 1000
Exit codes: list, show, cancel, prune: 0, or 2 for a bad command line, an unknown run or store;
resume and answer: as flotilla run, 4 when the run waits for a person again.
`;

const SUBCOMMANDS = ['list', 'show', 'resume', 'answer', 'cancel', 'prune'] as const;
const STATUSES: readonly StoredRunStatus[] = ['running', 'waiting', 'succeeded', 'failed', 'cancelled'];

export async function runsCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    io.stdout.write(RUNS_USAGE);
    return sub === undefined ? EXIT.usage : EXIT.ok;
  }
  const which = oneOf('flotilla runs', sub, SUBCOMMANDS);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(RUNS_USAGE);
    return EXIT.ok;
  }
  if (which === 'resume' || which === 'answer') return continueRun(which, rest, io);
  const command = `flotilla runs ${which}`;
  const { values, positionals } = parseFlags(command, rest, {
    store: { type: 'string' },
    json: { type: 'boolean', default: false },
    status: { type: 'string' },
    limit: { type: 'string' },
    'older-than': { type: 'string' },
    keep: { type: 'string' },
  });
  const only = (flags: string[]) => {
    for (const flag of ['json', 'status', 'limit', 'older-than', 'keep']) {
      const v = (values as Record<string, unknown>)[flag];
      if (v !== undefined && v !== false && !flags.includes(flag)) throw new FlotillaError('config', `${command} --${flag}: not an option of ${command} (see flotilla runs --help)`, { details: { flag: `--${flag}` } });
    }
  };
  // The command line is checked before the store is opened.
  only({ list: ['json', 'status', 'limit'], show: ['json'], cancel: [], prune: ['older-than', 'keep'] }[which]);
  if (which === 'list' || which === 'prune') noPositionals(command, positionals);
  else runIdOf(command, positionals);
  const status = values.status === undefined ? undefined : oneOf('--status', values.status, STATUSES);
  const limit = values.limit === undefined ? undefined : Math.floor(positiveNumber('--limit', values.limit));
  const olderThan = values['older-than'] === undefined ? undefined : parseAge(values['older-than']);
  const keep = values.keep === undefined ? undefined : parseKeep(values.keep);
  const store = await openStore(command, values.store, io);
  try {
    switch (which) {
      case 'list': {
        const runs = await store.listRuns({ ...(status && { status }), ...(limit !== undefined && { limit }) });
        if (values.json) io.stdout.write(`${JSON.stringify(runs.map(summary))}\n`);
        else if (runs.length === 0) io.stdout.write('no runs\n');
        else for (const r of runs) io.stdout.write(`${r.runId}  ${r.status.padEnd(9)}  ${r.chain}  ${new Date(r.updatedAt).toISOString()}${r.waiting ? `  waits at ${r.waiting.stepKey}` : ''}\n`);
        return EXIT.ok;
      }
      case 'show': {
        const run = await getRun(command, store, positionals);
        if (values.json) {
          io.stdout.write(`${JSON.stringify({ ...run, lease: undefined })}\n`);
          return EXIT.ok;
        }
        io.stdout.write(`run ${run.runId}: ${run.status}\nchain: ${run.chain}${run.options.source ? ` (${run.options.source})` : ''}\ninput: ${JSON.stringify(run.input)}\n`);
        io.stdout.write(`journaled steps: ${run.journaled}; model calls: ${run.usage.modelCalls}; tokens: ${run.usage.promptTokens + run.usage.completionTokens}\n`);
        if (run.lease) io.stdout.write(`executed by ${run.lease.owner} (lease until ${new Date(run.lease.expiresAt).toISOString()})\n`);
        if (run.waiting) {
          const q = run.waiting;
          io.stdout.write(`waits at step ${q.stepKey}: ${q.question}\nvalue: ${JSON.stringify(q.value, null, 2)}\n`);
          if (q.schema) io.stdout.write(`an edit must match: ${JSON.stringify(q.schema)}\n`);
          if (q.expiresAt !== undefined) io.stdout.write(`expires ${new Date(q.expiresAt).toISOString()}\n`);
          io.stdout.write(`answer: flotilla runs answer ${run.runId} --approve | --reject | --edit <json>\n`);
        }
        if (run.output !== undefined) io.stdout.write(`output: ${JSON.stringify(run.output, null, 2)}\n`);
        if (run.error) io.stdout.write(`error: ${run.error.kind}: ${run.error.message}\n`);
        return EXIT.ok;
      }
      case 'cancel': {
        const run = await getRun(command, store, positionals);
        if (run.status === 'succeeded' || run.status === 'failed' || run.status === 'cancelled') {
          throw new FlotillaError('config', `${command}: run "${run.runId}" has ended already (${run.status})`, { details: { reason: 'runEnded', runId: run.runId } });
        }
        // Taking the lease refuses a run another process executes; the end is then written under it.
        const owner = `flotilla-runs-cancel:${process.pid}`;
        const holder = await store.acquireLease(run.runId, owner, 10_000);
        if (holder) {
          throw new FlotillaError('overloaded', `${command}: run "${run.runId}" is being executed by ${holder.owner} (lease until ${new Date(holder.expiresAt).toISOString()}); cancel it there, or once its lease has expired`, {
            retryable: false,
            details: { reason: 'runLeased', runId: run.runId },
          });
        }
        const error = { kind: 'aborted' as const, message: 'cancelled with flotilla runs cancel', retryable: false };
        await store.finish(run.runId, { status: 'cancelled', error, usage: run.usage }, owner);
        io.stdout.write(`run ${run.runId}: cancelled\n`);
        return EXIT.ok;
      }
      case 'prune': {
        // The policy the store applies by itself, or the one the flags give.
        const policy = olderThan === undefined && keep === undefined ? DEFAULT_RETENTION : { ...(olderThan !== undefined && { maxAgeMs: olderThan }), ...(keep !== undefined && { maxRuns: keep }) };
        const deleted = await pruneRuns(store, policy);
        io.stdout.write(`deleted ${deleted} finished run(s)\n`);
        return EXIT.ok;
      }
    }
  } finally {
    await store.close();
  }
}

/** `runs resume | answer`: a `flotilla run --resume` of the run's chain file, with the answer. */
async function continueRun(which: 'resume' | 'answer', argv: string[], io: CliIo): Promise<number> {
  const command = `flotilla runs ${which}`;
  const own = takeFlags(argv, which === 'answer' ? ['approve', 'reject'] : [], which === 'answer' ? ['edit', 'edit-file', 'comment', 'chain', 'store'] : ['chain', 'store'], command);
  const runId = runIdOf(command, own.positionals);
  let answer: HumanAnswer | undefined;
  if (which === 'answer') answer = readAnswer(command, own.flags, own.values);
  const storeFile = own.values['store'] ?? (io.env['FLOTILLA_STORE'] || undefined);
  const store = await openStore(command, storeFile, io);
  let chainFile: string | undefined = own.values['chain'];
  try {
    const run = await store.getRun(runId);
    if (!run) throw new FlotillaError('config', `${command}: run "${runId}" is not in the run store ${storeFile}`, { details: { reason: 'runNotFound', flag: 'id' } });
    chainFile ??= run.options.source;
    if (chainFile === undefined) throw new FlotillaError('config', `${command}: run "${runId}" did not record its chain file; name it with --chain <file>`, { details: { flag: '--chain' } });
  } finally {
    await store.close();
  }
  return runCommand([chainFile!, '--resume', runId, '--store', storeFile!, ...own.rest], io, { ...(answer && { answer }), command });
}

function readAnswer(command: string, flags: Set<string>, values: Record<string, string>): HumanAnswer {
  const given = [...['approve', 'reject'].filter((f) => flags.has(f)), ...['edit', 'edit-file'].filter((f) => values[f] !== undefined)];
  if (given.length !== 1) {
    throw new FlotillaError('config', `${command}: give exactly one of --approve, --reject, --edit <json>, --edit-file <file>${given.length ? ` (got ${given.map((g) => `--${g}`).join(', ')})` : ''}`, { details: { flag: '--approve' } });
  }
  const comment = values['comment'] === undefined ? {} : { comment: values['comment'] };
  if (flags.has('approve')) return { action: 'approve', ...comment };
  if (flags.has('reject')) return { action: 'reject', ...comment };
  const flag = values['edit'] !== undefined ? '--edit' : '--edit-file';
  let text: string;
  if (values['edit'] !== undefined) text = values['edit'];
  else {
    const file = values['edit-file']!;
    if (!fs.existsSync(file)) throw new FlotillaError('config', `--edit-file ${file}: no such file`, { details: { flag } });
    text = fs.readFileSync(file, 'utf8');
  }
  // JSON when it parses as JSON; else the text itself (an edited string needs no quotes).
  let value: unknown = text;
  const trimmed = text.trim();
  if (/^[[{"]/.test(trimmed) || /^(true|false|null|-?\d)/.test(trimmed)) {
    try {
      value = JSON.parse(trimmed);
    } catch (e) {
      if (/^[[{"]/.test(trimmed)) throw new FlotillaError('config', `${flag}: not valid JSON (${(e as Error).message}); quote text that starts with { [ or "`, { details: { flag } });
    }
  }
  return { action: 'edit', value, ...comment };
}

/** Takes `booleans` and `strings` out of argv (`--x v` or `--x=v`), leaving the rest for `flotilla run`. */
function takeFlags(argv: readonly string[], booleans: string[], strings: string[], command: string) {
  const flags = new Set<string>();
  const values: Record<string, string> = {};
  const positionals: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/s.exec(a);
    const name = m?.[1];
    if (name !== undefined && booleans.includes(name)) flags.add(name);
    else if (name !== undefined && strings.includes(name)) {
      const v = m![2] ?? argv[++i];
      if (v === undefined) throw new FlotillaError('config', `${command} --${name}: needs a value`, { details: { flag: `--${name}` } });
      values[name] = v;
    } else if (!a.startsWith('-') && rest.length === 0) positionals.push(a);
    else {
      // A run flag: it and what follows go to flotilla run, which checks them.
      rest.push(...argv.slice(i));
      break;
    }
  }
  return { flags, values, positionals, rest };
}

async function openStore(command: string, file: string | undefined, io: CliIo): Promise<RunStore> {
  const where = file ?? (io.env['FLOTILLA_STORE'] || undefined);
  if (where === undefined) throw new FlotillaError('config', `${command}: needs a run store: --store <file> (or FLOTILLA_STORE)`, { details: { flag: '--store' } });
  if (!fs.existsSync(where)) throw new FlotillaError('config', `--store ${where}: no run store there (a store is created by flotilla run --store)`, { details: { flag: '--store' } });
  // Loaded only here: a command without a store loads no SQLite.
  return openSqliteStore(where);
}

function runIdOf(command: string, positionals: readonly string[]): string {
  const [runId, ...more] = positionals;
  if (runId === undefined || more.length > 0) throw new FlotillaError('config', `${command}: expected one run id, got ${positionals.length === 0 ? 'none' : positionals.length} (see flotilla runs --help)`, { details: { flag: 'id' } });
  return runId;
}

async function getRun(command: string, store: RunStore, positionals: string[]): Promise<RunRecord> {
  const runId = runIdOf(command, positionals);
  const run = await store.getRun(runId);
  if (!run) throw new FlotillaError('config', `${command}: run "${runId}" is not in the run store ${store.location ?? ''}`.trimEnd(), { details: { reason: 'runNotFound', flag: 'id' } });
  return run;
}

function noPositionals(command: string, positionals: string[]): void {
  if (positionals.length > 0) throw new FlotillaError('config', `${command}: takes no run id (got "${positionals[0]}"; see flotilla runs --help)`);
}

function summary(r: RunRecord) {
  return { runId: r.runId, chain: r.chain, status: r.status, updatedAt: r.updatedAt, ...(r.waiting && { waitingAt: r.waiting.stepKey }) };
}

const AGE_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseAge(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd])$/.exec(raw.trim());
  if (!m) throw new FlotillaError('config', `--older-than: expected an age such as 30m, 12h or 7d, got "${raw}"`, { details: { flag: '--older-than' } });
  return Number(m[1]) * AGE_UNITS[m[2]!]!;
}

function parseKeep(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n)) throw new FlotillaError('config', `--keep: expected a whole number >= 0, got "${raw}"`, { details: { flag: '--keep' } });
  return n;
}
