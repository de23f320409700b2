import { urlFlag } from '@flotilla/core';

// How the built-in kinds read a single backend's settings from the environment: the same
// rules as their flags, with the variable named in messages.

/** A server address from a variable, checked like `--host` (`OLLAMA_HOST: expected a server URL ...`). */
export function envUrl(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value ? urlFlag(name, value) : undefined;
}

/** A comma-separated list (`FLOTILLA_CASSETTES=a.json,b.json`); undefined when empty. */
export function envList(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const list = (env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return list.length ? list : undefined;
}

/** Comma-separated `name=value` pairs (`FLOTILLA_LLAMA_MODELS=tiny=/m/t.gguf,big=/m/b.gguf`); undefined when empty. */
export function envPairs(env: NodeJS.ProcessEnv, name: string): Record<string, string> | undefined {
  const list = envList(env, name);
  return list && Object.fromEntries(list.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}

/** The value unless it is missing or empty (a list, a mapping). */
export function given<T extends object>(value: T | undefined): T | undefined {
  return value !== undefined && Object.keys(value).length > 0 ? value : undefined;
}
