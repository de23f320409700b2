import * as fs from 'node:fs';
import { FlotillaError, expectedFromZodIssue } from '@flotilla/core';
import { loadRouterConfig } from '../config/load-router-config';
import type { RouterConfig } from '../config/router-config.schema';
import type { BackendFlags, EndpointField, EndpointKind } from '../kinds/endpoint-kind';
import { optionKeys } from '../kinds/endpoint-kind-registry';
import { endpointKinds } from '../kinds/endpoint-kinds';
import { given } from '../kinds/command-line-values';

/** What a command asks for: its flags and environment, by the conventions every Flotilla command shares. */
export interface BackendSpec {
  /** A fleet configuration file (`--config`): wins over everything else. */
  config?: string;
  /** A registered endpoint kind for a single backend (`--backend`): wins over `FLOTILLA_CONFIG` and `FLOTILLA_BACKEND`. */
  kind?: string;
  /** The kind when neither the command line nor the environment names a backend. @default none: no backend (what `flotilla validate` checks chains against) */
  defaultKind?: string;
  /** A single backend's flags (`--host`, `--cassette`, `--gguf`); each is refused for a kind that does not read its field. */
  flags?: BackendFlags;
  /** What a single backend falls back to after its flags and the environment (the demo's shipped cassettes). */
  defaults?: BackendFlags;
  /** A single backend's kind options given on the command line, each the flag of its name (`--pace`): refused for a kind without it. */
  options?: Readonly<Record<string, unknown>>;
  /** Kind options to use when the kind has them and the command line does not give them (the demo's pace on a terminal). */
  defaultOptions?: Readonly<Record<string, unknown>>;
  /** Record every call into the cassette `flags.cassettes[0]` names (`--record`): needs a live backend. */
  record?: boolean;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Log lines of a fleet's on-demand instances. @default none */
  log?: (line: string) => void;
}

/** The backend a spec names, before anything is built: a fleet file (loaded and validated) or one endpoint of a kind. */
export type BackendChoice = { readonly source: 'fleet'; readonly file: string; readonly fleet: RouterConfig } | { readonly source: 'single'; readonly kind: EndpointKind };

/** The single-backend flags and the endpoint field each gives. */
const FLAG_FIELDS: readonly { flag: string; key: keyof BackendFlags; field: EndpointField }[] = [
  { flag: '--host', key: 'host', field: 'url' },
  { flag: '--cassette', key: 'cassettes', field: 'cassettes' },
  { flag: '--gguf', key: 'models', field: 'modelPaths' },
];

/**
 * Which backend a command runs on, in one order everywhere: `--config`, else `--backend`,
 * else `FLOTILLA_CONFIG`, else `FLOTILLA_BACKEND`, else `defaultKind` (undefined when
 * there is none). Checks, before anything starts, what the flags can be checked for: the
 * kind exists (else which do, and the closest), each flag is one the chosen backend reads,
 * `--record` has a live backend and a cassette to write, files named on the command line exist.
 */
export function chooseBackend(spec: BackendSpec): BackendChoice | undefined {
  const env = spec.env ?? process.env;
  const file = spec.config ?? (spec.kind === undefined ? env['FLOTILLA_CONFIG'] || undefined : undefined);
  let choice: BackendChoice | undefined;
  if (file) choice = { source: 'fleet', file, fleet: loadRouterConfig(file) };
  else {
    const named = spec.kind ?? (env['FLOTILLA_BACKEND'] || undefined);
    const name = named ?? spec.defaultKind;
    const where = spec.kind !== undefined ? '--backend' : named !== undefined ? 'FLOTILLA_BACKEND' : 'defaultKind';
    if (name !== undefined) choice = { source: 'single', kind: endpointKinds.get(name, where, spec.defaultKind) };
  }
  if (choice) checkFlags(spec, choice);
  return choice;
}

function checkFlags(spec: BackendSpec, choice: BackendChoice): void {
  const flags = spec.flags ?? {};
  const kind = choice.source === 'single' ? choice.kind : undefined;
  const live = endpointKinds.keys((k) => !k.replay);
  if (spec.record) {
    if (kind?.replay) refuse('--record', `records a live backend's calls into --cassette <file>, and --backend ${kind.name} replays recordings; choose --backend ${orList(live)}, or --config <fleet file>`);
    if (!given(flags.cassettes)) refuse('--record', 'expected --cassette <file> to write the recordings to');
  }
  for (const { flag, key, field } of FLAG_FIELDS) {
    if (!given(flags[key] as object | undefined) || (key === 'cassettes' && spec.record)) continue;
    if (!kind) refuse(flag, `not used with a fleet configuration (its endpoints give ${field})`);
    else if (!kind.fields[field]) {
      const hint = key === 'cassettes' && !kind.replay ? '; add --record to record this run into it' : '';
      refuse(flag, `only for --backend ${orList(endpointKinds.keys((k) => k.fields[field] !== undefined))} (this run uses ${kind.name})${hint}`);
    }
  }
  if (!spec.record) {
    for (const c of flags.cassettes ?? []) if (!isFile(c)) refuse('--cassette', `${c}: no such file to replay; record one first with --backend ${live.join('|')} --record --cassette ${c}`);
  }
  for (const [name, gguf] of Object.entries(flags.models ?? {})) if (!isFile(gguf)) refuse('--gguf', `${name}=${gguf}: no such GGUF file`);
  const options = Object.entries(spec.options ?? {}).filter(([, value]) => value !== undefined);
  for (const [key] of options) {
    if (!kind) refuse(`--${key}`, 'not used with a fleet configuration (its endpoints give their options)');
    else if (!optionKeys(kind).includes(key)) refuse(`--${key}`, `only for --backend ${orList(endpointKinds.keys((k) => optionKeys(k).includes(key)))} (this run uses ${kind.name})`);
  }
  // Their values too, now rather than when the backend opens (an option the flags leave out may be required: not judged here).
  const named = new Set(options.map(([key]) => key));
  const parsed = kind?.options?.safeParse(Object.fromEntries(options), { reportInput: true });
  const wrong = parsed?.error?.issues.find((i) => named.has(String(i.path[0])));
  if (wrong) refuse(`--${String(wrong.path[0])}`, `expected ${expectedFromZodIssue(wrong)}`);
}

function refuse(flag: string, why: string): never {
  throw new FlotillaError('config', `${flag}: ${why}`, { details: { flag } });
}

/** "a", "a or b", "a, b or c". */
function orList(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? 'none') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
