import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlotillaError, numberFlag, oneOfFlag, parseFlags } from '@flotilla/core';
import { type BackendFlags, endpointKinds, parseBackendFlags } from '@flotilla/router';

/** What the demo replays when nothing names a backend: its shipped cassettes. */
export const DEFAULT_KIND = 'fixture';
export const PACES = ['instant', 'recorded'] as const;
/** Replay speed-up at recorded pace unless --speed says otherwise. */
export const DEFAULT_SPEED = 4;

export const DEFAULT_OBJECTIVE = 'Create a function that reverses a string and tests it';

/** The command line; the backend flags go to the router's backend factory as they are (lib/backend.ts). */
export interface DemoOptions {
  objective: string;
  /** An endpoint kind (`--backend`); else FLOTILLA_BACKEND, else the shipped cassettes. */
  backend?: string;
  /** A fleet configuration file (YAML/JSON): the calls go through the router. Wins over --backend. */
  config?: string;
  /** --host, --cassette (to replay, or to record into with --record), --gguf (and --model: one GGUF file for every agent). */
  flags: BackendFlags;
  record: boolean;
  /** Replay pace and speed-up as given; else `defaultPace` and DEFAULT_SPEED. */
  pace?: (typeof PACES)[number];
  speed?: number;
  /** Recorded pace on a terminal (the run is watched), instant otherwise. */
  defaultPace: (typeof PACES)[number];
  json: boolean;
  managerModel?: string;
  workerModel?: string;
  reviewerModel?: string;
  concurrency: number;
  maxRounds: number;
  deadlineMs?: number;
  /** A SQLite run store: the run is journaled there (`--store`, env FLOTILLA_STORE). */
  store?: string;
  runId?: string;
  /** Continue this run from the store instead of starting one. */
  resume?: string;
  help: boolean;
}

export const USAGE = `flotilla demo: the manager -> workers -> reviewer pipeline

Usage: npm run demo -- [options]
       npm run -s demo -- --json    (-s: npm prints no banner, so stdout is the JSON alone)

  --objective <text>      what to build (default: "${DEFAULT_OBJECTIVE}")
  --backend <kind>        ${[`${DEFAULT_KIND} (default)`, ...endpointKinds.keys().filter((k) => k !== DEFAULT_KIND)].join(' | ')}   (env FLOTILLA_BACKEND)
  --model <file.gguf>     llama-cpp: one GGUF model for every agent, no server at all
  --gguf name=<file.gguf> llama-cpp: a GGUF model per model name (repeatable;
                          env FLOTILLA_LLAMA_MODELS=name=/path/model.gguf,...)
  --host <url>            server for ollama/openai (env OLLAMA_HOST / OPENAI_BASE_URL)
  --config <file>         fleet configuration (YAML/JSON): route through several servers (env FLOTILLA_CONFIG)
  --cassette <file>       cassette to replay or record (repeatable; env FLOTILLA_CASSETTES=a.json,b.json;
                          default: the shipped ones)
  --record                call the live backend and record every call into --cassette
  --pace <instant|recorded>  replay speed for fixtures (default: recorded on a terminal)
  --speed <factor>        speed-up for recorded pace (default ${DEFAULT_SPEED})
  --manager-model, --worker-model, --reviewer-model <name>
  --concurrency <n>       workers in flight (default 5)
  --max-rounds <n>        review rounds at most (default 2)
  --deadline-ms <ms>      end the run after this long (budgetExceeded)
  --json                  one JSON object on stdout; progress goes to stderr
  --store <file>          journal the run in this SQLite run store (env FLOTILLA_STORE); inputs and
                          outputs are kept in clear in the file
  --run-id <id>           the run's id (default: a new time-ordered UUID)
  --resume <id>           continue run <id> from --store: calls it journaled are not made again
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
      gguf: { type: 'string', multiple: true },
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
      store: { type: 'string' },
      'run-id': { type: 'string' },
      resume: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    false,
  );
  const json = values.json ?? false;
  const options: DemoOptions = {
    objective: values.objective ?? DEFAULT_OBJECTIVE,
    backend: values.backend,
    config: values.config,
    flags: parseBackendFlags(values),
    record: values.record ?? false,
    pace: values.pace === undefined ? undefined : oneOf('--pace', values.pace, PACES),
    speed: values.speed === undefined ? undefined : number('--speed', values.speed, DEFAULT_SPEED),
    defaultPace: isTty && !json ? 'recorded' : 'instant',
    json,
    managerModel: values['manager-model'],
    workerModel: values['worker-model'],
    reviewerModel: values['reviewer-model'],
    concurrency: number('--concurrency', values.concurrency, 5, true),
    maxRounds: number('--max-rounds', values['max-rounds'], 2, true),
    deadlineMs: values['deadline-ms'] === undefined ? undefined : numberFlag('--deadline-ms', values['deadline-ms']),
    store: values.store ?? (env['FLOTILLA_STORE'] || undefined),
    runId: values['run-id'],
    resume: values.resume,
    help: values.help ?? false,
  };
  if ((options.resume !== undefined || options.runId !== undefined) && options.store === undefined) {
    throw new FlotillaError('config', `${options.resume !== undefined ? '--resume' : '--run-id'}: needs a run store: --store <file> (or FLOTILLA_STORE)`);
  }
  if (options.resume !== undefined && (values.objective !== undefined || options.runId !== undefined)) {
    throw new FlotillaError('config', '--resume: the run keeps its objective and id; drop --objective and --run-id');
  }
  if (!options.objective.trim()) throw new FlotillaError('config', '--objective: expected a non-empty text');
  if (values.model !== undefined) {
    // Checked here (the backend is checked when it is opened): --model is the demo's own shorthand.
    const kind = endpointKinds.find(values.backend ?? env['FLOTILLA_BACKEND'] ?? DEFAULT_KIND);
    const takeModels = endpointKinds.keys((k) => k.fields.modelPaths !== undefined);
    if (kind && !kind.fields.modelPaths) throw new FlotillaError('config', `--model: a GGUF file for --backend ${takeModels.join(' or ')}; other backends take --manager-model, --worker-model, --reviewer-model`);
    const file = path.resolve(values.model);
    if (!fs.existsSync(file)) throw new FlotillaError('config', `--model: no such file: ${file}`);
    // One model, named after its file, serves every role unless a role model is given.
    const name = path.basename(file).replace(/\.gguf$/i, '');
    options.flags = { ...options.flags, models: { ...options.flags.models, [name]: file } };
    options.managerModel ??= name;
    options.workerModel ??= name;
    options.reviewerModel ??= name;
  }
  return options;
}

const oneOf = oneOfFlag;

function number(flag: string, raw: string | undefined, fallback: number, integer = false): number {
  return raw === undefined ? fallback : numberFlag(flag, raw, { integer });
}
