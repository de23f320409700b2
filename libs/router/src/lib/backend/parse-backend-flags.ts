import { FlotillaError, urlFlag } from '@flotilla/core';
import type { BackendFlags } from '../kinds/endpoint-kind';

/** A single backend's flags as a command line gives them (strings, repeatable ones as lists). */
export interface BackendFlagText {
  host?: string;
  cassette?: readonly string[];
  gguf?: readonly string[];
}

/**
 * The backend flags every Flotilla command shares, parsed once: `--host` a server URL,
 * `--cassette` files, `--gguf` `name=path` pairs. Errors are `config` FlotillaErrors naming the flag.
 */
export function parseBackendFlags(text: BackendFlagText): BackendFlags {
  return {
    ...(text.host !== undefined ? { host: urlFlag('--host', text.host) } : {}),
    ...(text.cassette?.length ? { cassettes: [...text.cassette] } : {}),
    ...(text.gguf?.length ? { models: Object.fromEntries(text.gguf.map(pair)) } : {}),
  };
}

function pair(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) throw new FlotillaError('config', `--gguf ${text}: expected name=value (a model name and its GGUF file)`, { details: { flag: '--gguf' } });
  return [text.slice(0, eq), text.slice(eq + 1)];
}
