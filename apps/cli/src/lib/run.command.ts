import * as path from 'node:path';
import { FlotillaError, type HumanAnswer, type RunResult, type RunStore, createFlotilla, parseFlags } from '@flotilla/core';
import { type CompiledChain, formatDiagnostic } from '@flotilla/chain';
import { FlotillaObserver, ProgressRenderer } from '@flotilla/observability';
import { type Backend, chooseBackend, openBackend } from '@flotilla/router';
import { backendSpec, cassettesBeside, kindsUsage } from './backend';
import type { CliIo } from './cli-io';
import { EXIT, exitCodeOf } from './exit-codes';
import { readInput } from './read-input';
import { checkTraceDir, oneOf, parseAliases, parseAllowDirs, positiveNumber } from './flags';
import { CHAIN_FLAGS, CHAIN_FLAGS_USAGE, prepareChain } from './prepare-chain';
import { type CommandTools, TOOLS_FLAGS, TOOLS_FLAGS_USAGE, openTools } from './cli-tools';
import { describeSchemaShape } from './schema-shape';
import { openSqliteStore } from './sqlite-store';

/** What `run` replays when nothing names a backend. */
const DEFAULT_KIND = 'fixture';

export const RUN_USAGE = `flotilla run <chain.yaml> [options]
Input (one of):
  --input <text|json>     the run input; "-" reads stdin (text starting with { [ or " must be valid JSON)
  --input-file <file>     .json / .yaml parsed, anything else as text (at most 1 MiB, no binary files)
  --set key=value         builds an object input (repeatable)
Backend:
  --backend <kind>        ${kindsUsage(DEFAULT_KIND)}  (env FLOTILLA_BACKEND)
  --host <url>            ollama / openai server (env OLLAMA_HOST / OPENAI_BASE_URL)
  --cassette <file>       fixture cassettes (repeatable; env FLOTILLA_CASSETTES; default: cassettes/ next to the chain)
  --record                call the live backend (or --config fleet) and record every call into --cassette
  --gguf name=path        llama-cpp model (repeatable; env FLOTILLA_LLAMA_MODELS)
  --pace instant|recorded fixture replay speed (default instant)
Chain:
${CHAIN_FLAGS_USAGE}
${TOOLS_FLAGS_USAGE}
Output:
  --format auto|text|jsonl  auto: progress and the output on a terminal, JSON lines when piped;
                          text: a failed or cancelled run still prints the outputs of the steps that completed
  --deadline-ms <ms>      end the run after this long (budgetExceeded)
  --deadline-across attempt|run
                          attempt (default): each run or resume has the whole deadline; run: wall
                          clock from the run's first start, kept in the store across resumes
  --trace <dir>           write the run's JSON-lines trace file there (read it with flotilla report);
                          checked before the run starts
Durable runs:
  --store <file>          journal the run in this SQLite run store (env FLOTILLA_STORE): each completed
                          model call is written before its output is used; inputs and outputs are kept
                          in clear in the file
  --run-id <id>           the run's id (default: a new time-ordered UUID, printed when a store is used)
  --resume <id>           continue run <id> from the store: journaled calls are not made again
                          (no --input then); refused if the chain or its prompt files changed
  --force                 with --resume: resume although the chain changed
Exit codes: 0 succeeded, 1 run failed, 2 bad usage / invalid chain, configuration or input,
3 no model reachable, 4 waiting for a person (a human step; answer with flotilla runs answer <id>),
130 cancelled (Ctrl-C), 143 cancelled (SIGTERM). docs/errors.md maps each error kind.
`;

/** What `flotilla runs resume | answer` add to a `run --resume`. */
export interface RunExtras {
  /** The answer to the question the run waits on. */
  answer?: HumanAnswer;
  /** The command, for messages (`flotilla runs answer`). */
  command?: string;
}

export async function runCommand(argv: string[], io: CliIo, extras: RunExtras = {}): Promise<number> {
  const { values, positionals } = parseFlags('flotilla run', argv, {
    ...CHAIN_FLAGS,
    ...TOOLS_FLAGS,
    input: { type: 'string' },
    'input-file': { type: 'string' },
    set: { type: 'string', multiple: true },
    host: { type: 'string' },
    cassette: { type: 'string', multiple: true },
    record: { type: 'boolean', default: false },
    gguf: { type: 'string', multiple: true },
    pace: { type: 'string' },
    format: { type: 'string' },
    trace: { type: 'string' },
    'deadline-ms': { type: 'string' },
    'deadline-across': { type: 'string' },
    store: { type: 'string' },
    'run-id': { type: 'string' },
    resume: { type: 'string' },
    force: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout.write(RUN_USAGE);
    return EXIT.ok;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) {
    throw new FlotillaError('config', `flotilla run: expected one chain file, got ${positionals.length === 0 ? 'none' : positionals.length} (see flotilla run --help)`);
  }
  const format = oneOf('--format', values.format ?? 'auto', ['auto', 'text', 'jsonl'] as const);
  const jsonl = format === 'jsonl' || (format === 'auto' && !io.stdout.isTTY);
  const deadlineMs = values['deadline-ms'] === undefined ? undefined : positiveNumber('--deadline-ms', values['deadline-ms']);
  const deadlineAcross = values['deadline-across'] === undefined ? undefined : oneOf('--deadline-across', values['deadline-across'], ['attempt', 'run'] as const);
  if (deadlineAcross !== undefined && deadlineMs === undefined) throw new FlotillaError('config', '--deadline-across: needs --deadline-ms <ms>', { details: { flag: '--deadline-across' } });
  // The backend is chosen (and its flags checked) before anything else; it is opened after the chain and input are.
  const spec = backendSpec(values, io, { defaultKind: DEFAULT_KIND, defaults: { cassettes: cassettesBeside(file) } });
  const choice = io.client ? undefined : chooseBackend(spec);
  if (values.trace !== undefined) checkTraceDir(values.trace);
  const store = values.store ?? (io.env['FLOTILLA_STORE'] || undefined);
  const resume = values.resume;
  if ((resume !== undefined || values['run-id'] !== undefined) && store === undefined) {
    throw new FlotillaError('config', `flotilla run ${resume !== undefined ? '--resume' : '--run-id'}: needs a run store: --store <file> (or FLOTILLA_STORE)`, { details: { flag: '--store' } });
  }
  if (resume !== undefined && (values.input !== undefined || values['input-file'] !== undefined || values.set?.length || values['run-id'] !== undefined)) {
    throw new FlotillaError('config', 'flotilla run --resume: the run keeps its input and id; drop --input, --input-file, --set and --run-id', { details: { flag: '--resume' } });
  }
  if (values.force && resume === undefined) throw new FlotillaError('config', 'flotilla run --force: only with --resume <id>', { details: { flag: '--force' } });

  const fleet = choice?.source === 'fleet' ? choice.fleet : undefined;
  // Tools are opened while the chain is checked: its modules, and the MCP servers its agents name tools of.
  let tools: CommandTools | undefined;
  const sources = { modules: values.tools, mcp: fleet?.mcp, fleetFile: choice?.source === 'fleet' ? choice.file : undefined, env: io.env, signal: io.signal };
  const openedTools = async (named: readonly string[]) => (tools = await openTools(sources, { named })).names;
  let backend: Backend | undefined;
  let runStore: RunStore | undefined;
  let compiled: CompiledChain;
  let input: unknown;
  try {
    compiled = await prepareChain(file, { modelAliases: parseAliases(values['model-alias']), allowDirs: parseAllowDirs(values['allow-dir']), fleet, tools: openedTools });
    for (const w of compiled.warnings) io.stderr.write(`${formatDiagnostic(w)}\n`);
    if (resume === undefined) {
      input = await readInput({ input: values.input, inputFile: values['input-file'], set: values.set, wantsString: compiled.input?.jsonSchema['type'] === 'string' }, io.stdin);
      checkInput(compiled, input, file, inputSource(values));
    }
    backend = io.client ? { client: io.client, description: io.client.name ?? 'injected client' } : await openBackend(spec, choice);
    // Loaded only for --store: a run without one loads no SQLite.
    if (store !== undefined) runStore = await openSqliteStore(store);
  } catch (e) {
    await backend?.client.close?.();
    await tools?.close();
    throw e;
  }
  // The one close: the Flotilla closes the tools' servers, then its client and with it everything the backend holds.
  const flotilla = createFlotilla({
    client: backend.client,
    config: backend.config,
    ...(runStore === undefined ? {} : { store: runStore }),
    ...(tools ? { tools: tools.tools, closeables: [tools] } : {}),
  });
  try {
    if (!jsonl) io.stderr.write(`flotilla run ${compiled.chain.name} — ${backend.description}\n`);
    const progress = jsonl ? undefined : new ProgressRenderer(io.stderr);
    const observer = values.trace === undefined ? undefined : new FlotillaObserver({ traceFile: values.trace });
    progress?.start();
    const run =
      resume === undefined
        ? flotilla.run(compiled.chain, input, { signal: io.signal, deadlineMs, ...(deadlineAcross && { deadlineAcross }), source: path.resolve(file), ...(values['run-id'] === undefined ? {} : { runId: values['run-id'] }) })
        : flotilla.resume(compiled.chain, resume, { signal: io.signal, deadlineMs, ...(deadlineAcross && { deadlineAcross }), force: values.force, ...(extras.answer === undefined ? {} : { answer: extras.answer }) });
    if (store !== undefined && !jsonl) io.stderr.write(`run ${run.runId} (store ${store}${resume === undefined ? '' : ', resumed'})\n`);
    observer?.observe(run);
    const warned = new Set<string>();
    run.events.subscribe((e) => {
      progress?.next(e);
      // What an adapter could not do as asked: each distinct warning once per run.
      if (e.type === 'step.end') {
        for (const w of e.call?.warnings ?? []) {
          if (warned.has(w.message)) continue;
          warned.add(w.message);
          io.stderr.write(`warning: ${w.message}\n`);
        }
      }
      if (jsonl) io.stdout.write(`${JSON.stringify(e.type === 'run.end' ? { ...e, result: { ...e.result, trace: undefined } } : e)}\n`);
    });
    const result = await run.result;
    progress?.stop();
    await observer?.close();
    if (!jsonl) report(result, io);
    if (result.status === 'succeeded') return EXIT.ok;
    if (result.status === 'waiting') return EXIT.waiting;
    return result.status === 'cancelled' ? EXIT.cancelled : exitCodeOf(result.error?.kind);
  } finally {
    await flotilla.close();
    await runStore?.close();
  }
}

function checkInput(compiled: CompiledChain, input: unknown, file: string, from: string): void {
  if (!compiled.input) return;
  const at = compiled.inputAt ? `${compiled.inputAt.file}:${compiled.inputAt.line}:${compiled.inputAt.col}` : file;
  const shape = describeSchemaShape(compiled.input.jsonSchema);
  if (input === undefined) throw new FlotillaError('config', `${at}: the chain needs an input: ${shape}; pass --input, --input-file or --set`);
  const r = compiled.input.parse(input);
  if (!r.ok) throw new FlotillaError('config', `${from}: the input does not match the chain's input schema (${at}: ${shape}): ${r.error}`);
}

/** The flag the input came from, for messages. */
function inputSource(values: { input?: string; 'input-file'?: string; set?: string[] }): string {
  if (values['input-file'] !== undefined) return `--input-file ${values['input-file']}`;
  if (values.set?.length) return '--set';
  return values.input === '-' ? '--input -' : '--input';
}

function report(result: RunResult, io: CliIo): void {
  const calls = result.modelCalls;
  if (result.status === 'waiting' && result.waiting) {
    const q = result.waiting;
    io.stdout.write(`waiting for a person at step ${q.stepKey}: ${q.question}\n${show(q.value)}\n`);
    if (q.expiresAt !== undefined) io.stdout.write(`(expires ${new Date(q.expiresAt).toISOString()})\n`);
    io.stdout.write(`answer: flotilla runs answer ${result.runId} --approve | --reject | --edit <json> [--comment <text>]\n`);
  } else if (result.status === 'succeeded') {
    const out = result.output;
    if (out !== undefined) io.stdout.write(`${show(out)}\n`);
  } else {
    // What the run produced before it failed is kept: each agent call that completed, in order.
    const done = result.steps.filter((s) => s.call);
    if (done.length > 0) {
      io.stdout.write(`${result.status} run: the output of the ${done.length} step(s) that completed\n`);
      for (const s of done) io.stdout.write(`── step ${s.key || '(root)'} · agent ${s.call!.agent} (${s.call!.model}) ──\n${show(s.output)}\n`);
    }
    if (result.error) io.stderr.write(`run ${result.status}: ${result.error.kind}: ${result.error.message}\n`);
  }
  io.stderr.write(`${result.status} — ${calls} model call(s), ${result.usage.promptTokens + result.usage.completionTokens} tokens, ${(result.durationMs / 1000).toFixed(2)} s\n`);
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}
