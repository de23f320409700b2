import { parseArgs } from 'node:util';
import { FlotillaError, type RunEvent, type RunResult, TOKENS, createFlotillaContainer } from '@flotilla/core';
import { type CompiledChain, bindChain, formatDiagnostic, loadChain } from '@flotilla/chain';
import { BACKENDS, type Backend, type BackendKind, createBackend } from './backend';
import type { CliIo } from './cli-io';
import { EXIT, exitCodeOf } from './exit-codes';
import { FlotillaObserver, ProgressRenderer } from '@flotilla/observability';
import { readInput } from './read-input';
import { oneOf, parseAliases, parsePairs, positiveNumber } from './flags';

export const RUN_USAGE = `flotilla run <chain.yaml> [options]

Input (one of):
  --input <text|json>     the run input; "-" reads stdin
  --input-file <file>     .json / .yaml parsed, anything else as text
  --set key=value         builds an object input (repeatable)

Backend:
  --backend <name>        fixture (default) | ollama | openai | llama-cpp  (env FLOTILLA_BACKEND)
  --config <file>         a fleet configuration (@flotilla/router); wins over --backend (env FLOTILLA_CONFIG)
  --host <url>            ollama / openai server
  --cassette <file>       fixture cassettes (repeatable; default: cassettes/ next to the chain)
  --record                call the live backend and record every call into --cassette
  --gguf name=path        llama-cpp model (repeatable; env FLOTILLA_LLAMA_MODELS)
  --pace instant|recorded fixture replay speed (default instant)
  --model-alias from=to   model id -> local model, for .prompt files (repeatable)

Output:
  --format auto|text|jsonl  auto: progress and the output on a terminal, JSON lines when piped
  --deadline-ms <ms>      end the run after this long (budgetExceeded)
  --trace <dir>           write the run's JSON-lines trace file there (read it with flotilla report)

Exit codes: 0 succeeded, 1 run failed, 2 bad usage / invalid chain or input, 3 no model reachable, 130 cancelled.
`;

export async function runCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      input: { type: 'string' },
      'input-file': { type: 'string' },
      set: { type: 'string', multiple: true },
      backend: { type: 'string' },
      config: { type: 'string' },
      host: { type: 'string' },
      cassette: { type: 'string', multiple: true },
      record: { type: 'boolean', default: false },
      gguf: { type: 'string', multiple: true },
      pace: { type: 'string' },
      'model-alias': { type: 'string', multiple: true },
      format: { type: 'string' },
      trace: { type: 'string' },
      'deadline-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(RUN_USAGE);
    return EXIT.ok;
  }
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new FlotillaError('config', 'flotilla run: expected one chain file. See flotilla run --help.');
  const format = oneOf('--format', values.format ?? 'auto', ['auto', 'text', 'jsonl'] as const);
  const jsonl = format === 'jsonl' || (format === 'auto' && !io.stdout.isTTY);
  const backendKind = values.backend === undefined ? undefined : oneOf('--backend', values.backend, BACKENDS);
  const deadlineMs = values['deadline-ms'] === undefined ? undefined : positiveNumber('--deadline-ms', values['deadline-ms']);

  const compiled = await loadChain(file, { modelAliases: parseAliases(values['model-alias']) });
  for (const w of compiled.warnings) io.stderr.write(`${formatDiagnostic(w)}\n`);
  const input = await readInput(
    { input: values.input, inputFile: values['input-file'], set: values.set, wantsString: compiled.input?.jsonSchema['type'] === 'string' },
    io.stdin,
  );
  checkInput(compiled, input, file);

  const backend: Backend = io.client
    ? { client: io.client, description: io.client.name ?? 'injected client', close: async () => undefined }
    : await createBackend(
        {
          backend: backendKind as BackendKind | undefined,
          host: values.host,
          cassettes: values.cassette,
          record: values.record,
          llamaModels: parsePairs('--gguf', values.gguf),
          config: values.config,
          pace: values.pace === undefined ? undefined : oneOf('--pace', values.pace, ['instant', 'recorded'] as const),
          env: io.env,
        },
        file,
      );
  try {
    const container = createFlotillaContainer({ client: backend.client, config: backend.config });
    bindChain(container, compiled);
    const engine = container.get(TOKENS.ChainEngine);
    if (!jsonl) io.stderr.write(`flotilla run ${compiled.chain.name} — ${backend.description}\n`);
    const progress = jsonl ? undefined : new ProgressRenderer(io.stderr);
    const observer = values.trace === undefined ? undefined : new FlotillaObserver({ traceFile: values.trace });
    progress?.start();
    const run$ = engine.run$(compiled.chain, input, { signal: io.signal, deadlineMs });
    const result = await new Promise<RunResult>((resolve, reject) => {
      (observer ? run$.pipe(observer.operator()) : run$).subscribe({
        next: (e: RunEvent) => {
          progress?.onEvent(e);
          if (jsonl) io.stdout.write(`${JSON.stringify(e.type === 'run.end' ? { ...e, result: { ...e.result, trace: undefined } } : e)}\n`);
          if (e.type === 'run.end') resolve(e.result);
        },
        error: reject,
      });
    }).finally(() => progress?.stop());
    await observer?.close();
    if (!jsonl) report(result, io);
    if (result.status === 'succeeded') return EXIT.ok;
    return result.status === 'cancelled' ? EXIT.cancelled : exitCodeOf(result.error?.kind);
  } finally {
    await backend.close();
  }
}

function checkInput(compiled: CompiledChain, input: unknown, file: string): void {
  if (!compiled.input) return;
  if (input === undefined) throw new FlotillaError('config', `${file}: the chain needs an input (${JSON.stringify(compiled.input.jsonSchema)}); pass --input, --input-file or --set`);
  const r = compiled.input.parse(input);
  if (!r.ok) throw new FlotillaError('config', `input does not match the chain's input schema (${file}): ${r.error}`);
}

function report(result: RunResult, io: CliIo): void {
  const calls = result.steps.filter((s) => s.call).length;
  if (result.status === 'succeeded') {
    const out = result.output;
    if (out !== undefined) io.stdout.write(`${typeof out === 'string' ? out : JSON.stringify(out, null, 2)}\n`);
  } else if (result.error) {
    io.stderr.write(`run ${result.status}: ${result.error.kind}: ${result.error.message}\n`);
  }
  io.stderr.write(`${result.status} — ${calls} model call(s), ${result.usage.promptTokens + result.usage.completionTokens} tokens, ${(result.durationMs / 1000).toFixed(2)} s\n`);
}
