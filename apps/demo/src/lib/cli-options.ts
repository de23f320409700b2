import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlotillaError, numberFlag, oneOfFlag, parseFlags, urlFlag } from '@flotilla/core';

export const BACKENDS = ['fixture', 'ollama', 'openai', 'llama-cpp'] as const;
export type Backend = (typeof BACKENDS)[number];
export const PACES = ['instant', 'recorded'] as const;

export const DEFAULT_OBJECTIVE = 'Create a function that reverses a string and tests it';

export interface DemoOptions {
  objective: string;
  backend: Backend;
  /** Server URL for ollama / openai backends. */
  host?: string;
  /** A fleet configuration file (YAML/JSON): the calls go through the router. Wins over --backend. */
  config?: string;
  /** llama-cpp backend: GGUF files by model name, `name=/path/model.gguf,...` (env FLOTILLA_LLAMA_MODELS). */
  llamaModels?: string;
  /** llama-cpp backend: one GGUF file for every agent (`--model`). */
  llamaModel?: string;
  /** Cassette files to replay from (fixture) or record into (--record). */
  cassettes?: string[];
  record: boolean;
  pace: (typeof PACES)[number];
  speed: number;
  json: boolean;
  managerModel?: string;
  workerModel?: string;
  reviewerModel?: string;
  concurrency: number;
  maxRounds: number;
  deadlineMs?: number;
  help: boolean;
}

export const USAGE = `flotilla demo: the manager -> workers -> reviewer pipeline

Usage: npm run demo -- [options]
       npm run -s demo -- --json    (-s: npm prints no banner, so stdout is the JSON alone)

  --objective <text>      what to build (default: "${DEFAULT_OBJECTIVE}")
  --backend <name>        fixture (default) | ollama | openai | llama-cpp   (env FLOTILLA_BACKEND)
  --model <file.gguf>     llama-cpp: one GGUF model for every agent, no server at all
                          (or FLOTILLA_LLAMA_MODELS=name=/path/model.gguf,... for several)
  --host <url>            server for ollama/openai (env OLLAMA_HOST / OPENAI_BASE_URL)
  --config <file>         fleet configuration (YAML/JSON): route through several servers (env FLOTILLA_CONFIG)
  --cassette <file>       cassette to replay or record (repeatable; env FLOTILLA_CASSETTES=a.json,b.json;
                          default: the shipped ones)
  --record                call the live backend and record every call into --cassette
  --pace <instant|recorded>  replay speed for fixtures (default: recorded on a terminal)
  --speed <factor>        speed-up for recorded pace (default 4)
  --manager-model, --worker-model, --reviewer-model <name>
  --concurrency <n>       workers in flight (default 5)
  --max-rounds <n>        review rounds at most (default 2)
  --deadline-ms <ms>      end the run after this long (budgetExceeded)
  --json                  one JSON object on stdout; progress goes to stderr
  -h, --help
Exit codes: 0 approved run, 1 failed or not approved, 2 bad usage or configuration,
130 cancelled (Ctrl-C), 143 cancelled (SIGTERM).
`;

/** Parses and checks the command line; every problem is a `config` FlotillaError naming the flag. */
export function parseDemoOptions(argv: string[], env: NodeJS.ProcessEnv = process.env, isTty = false): DemoOptions {
  const { values } = parseFlags(
    'npm run demo --',
    argv,
    {
      objective: { type: 'string' },
      backend: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      model: { type: 'string' },
      cassette: { type: 'string', multiple: true },
      record: { type: 'boolean', default: false },
      pace: { type: 'string' },
      speed: { type: 'string' },
      json: { type: 'boolean', default: false },
      'manager-model': { type: 'string' },
      'worker-model': { type: 'string' },
      'reviewer-model': { type: 'string' },
      concurrency: { type: 'string' },
      'max-rounds': { type: 'string' },
      'deadline-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    false,
  );
  const backend = oneOf('--backend', values.backend ?? env['FLOTILLA_BACKEND'] ?? 'fixture', BACKENDS);
  const json = values.json ?? false;
  const options: DemoOptions = {
    objective: values.objective ?? DEFAULT_OBJECTIVE,
    backend,
    host: values.host !== undefined ? urlFlag('--host', values.host) : backend === 'ollama' ? env['OLLAMA_HOST'] : backend === 'openai' ? env['OPENAI_BASE_URL'] : undefined,
    config: values.config ?? (values.backend === undefined ? env['FLOTILLA_CONFIG'] || undefined : undefined),
    llamaModels: env['FLOTILLA_LLAMA_MODELS'],
    llamaModel: values.model,
    cassettes: values.cassette ?? (values.record ? undefined : cassettesFromEnv(env)),
    record: values.record ?? false,
    pace: oneOf('--pace', values.pace ?? (isTty && !json ? 'recorded' : 'instant'), PACES),
    speed: number('--speed', values.speed, 4),
    json,
    managerModel: values['manager-model'],
    workerModel: values['worker-model'],
    reviewerModel: values['reviewer-model'],
    concurrency: number('--concurrency', values.concurrency, 5, true),
    maxRounds: number('--max-rounds', values['max-rounds'], 2, true),
    deadlineMs: values['deadline-ms'] === undefined ? undefined : numberFlag('--deadline-ms', values['deadline-ms']),
    help: values.help ?? false,
  };
  if (!options.objective.trim()) throw new FlotillaError('config', '--objective: expected a non-empty text');
  if (options.llamaModel !== undefined) {
    if (backend !== 'llama-cpp') throw new FlotillaError('config', '--model: a GGUF file for --backend llama-cpp; other backends take --manager-model, --worker-model, --reviewer-model');
    const file = path.resolve(options.llamaModel);
    if (!fs.existsSync(file)) throw new FlotillaError('config', `--model: no such file: ${file}`);
    // One model, named after its file, serves every role unless a role model is given.
    const name = path.basename(file).replace(/\.gguf$/i, '');
    options.llamaModels = `${name}=${file}`;
    options.managerModel ??= name;
    options.workerModel ??= name;
    options.reviewerModel ??= name;
  }
  if (options.record && backend === 'fixture' && !options.config) {
    throw new FlotillaError('config', '--record: records a live backend; add --backend ollama (or openai) and --cassette <file>');
  }
  if (options.record && !options.cassettes?.length) {
    throw new FlotillaError('config', '--record: expected --cassette <file> to write the recordings to');
  }
  return options;
}

const oneOf = oneOfFlag;

function number(flag: string, raw: string | undefined, fallback: number, integer = false): number {
  return raw === undefined ? fallback : numberFlag(flag, raw, { integer });
}

/** FLOTILLA_CASSETTES=a.json,b.json (docs/deployment.md): the cassettes to replay when --cassette is not given. */
function cassettesFromEnv(env: NodeJS.ProcessEnv): string[] | undefined {
  const list = (env['FLOTILLA_CASSETTES'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return list.length > 0 ? list : undefined;
}
