import * as fs from 'node:fs';
import * as path from 'node:path';
import { type BackendSpec, endpointKinds, parseBackendFlags } from '@flotilla/router';
import type { CliIo } from './cli-io';

/** The backend flags a command took (each command declares the ones it has). */
export interface BackendFlagValues {
  config?: string;
  backend?: string;
  host?: string;
  cassette?: string[];
  gguf?: string[];
  record?: boolean;
  pace?: string;
}

/**
 * A command's backend flags as the router's backend factory takes them (`chooseBackend`,
 * `openBackend`): every command chooses and builds its backend the same way, and `--backend`
 * accepts any registered endpoint kind.
 */
export function backendSpec(values: BackendFlagValues, io: CliIo, command: Pick<BackendSpec, 'defaultKind' | 'defaults'> = {}): BackendSpec {
  return {
    config: values.config,
    kind: values.backend,
    flags: parseBackendFlags(values),
    options: { pace: values.pace },
    record: values.record,
    env: io.env,
    ...command,
  };
}

/** Cassettes next to a chain file (`<dir>/cassettes/*.json`): what `run` replays when nothing else names cassettes. */
export function cassettesBeside(chainFile: string): string[] {
  const dir = path.join(path.dirname(chainFile), 'cassettes');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(dir, f));
}

/** `fixture (default) | ollama | ...`: the registered kinds, for usage texts. */
export function kindsUsage(defaultKind?: string): string {
  const names = endpointKinds.keys();
  const ordered = defaultKind && names.includes(defaultKind) ? [`${defaultKind} (default)`, ...names.filter((n) => n !== defaultKind)] : names;
  return ordered.join(' | ');
}
