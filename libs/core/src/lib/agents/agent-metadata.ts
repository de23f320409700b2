import { Errors } from '../errors/errors';
import { METADATA_KEYS } from './metadata-keys';
import type { AgentOptions } from './agent-options';

export const DEFAULT_AGENT_RETRIES = 2;
export const DEFAULT_FIRST_TOKEN_MS = 60_000;
export const DEFAULT_STALL_MS = 30_000;
export const DEFAULT_TOTAL_MS = 300_000;

/** The options an `@Agent` class was decorated with; a `config` error when it has none. */
export function readAgentMetadata(target: object): AgentOptions {
  const ctor = typeof target === 'function' ? target : target.constructor;
  const options = Reflect.getMetadata(METADATA_KEYS.agent, ctor) as AgentOptions | undefined;
  if (!options) throw Errors.config(`agent class ${(ctor as { name?: string }).name ?? '?'}`, 'an @Agent({ name, ... }) decorator');
  return options;
}

/** Checks an agent's options once, when an engine first resolves it. */
export function validateAgentOptions(o: AgentOptions): void {
  const at = `agent ${JSON.stringify(o.name ?? '?')}`;
  if (typeof o.name !== 'string' || o.name.length === 0) throw Errors.config(`${at} name`, 'a non-empty string', o.name);
  positive(o.timeoutMs, `${at} timeoutMs`);
  positive(o.timeouts?.firstTokenMs, `${at} timeouts.firstTokenMs`);
  positive(o.timeouts?.stallMs, `${at} timeouts.stallMs`);
  positive(o.timeouts?.totalMs, `${at} timeouts.totalMs`);
  positive(o.concurrency, `${at} concurrency`);
  positive(o.toolLoop?.concurrency, `${at} toolLoop.concurrency`);
  positive(o.toolLoop?.deadlineMs, `${at} toolLoop.deadlineMs`);
  for (const k of ['maxRounds', 'maxConsecutiveErrors'] as const) {
    const v = o.toolLoop?.[k];
    if (v !== undefined && !(Number.isInteger(v) && v >= 1)) throw Errors.config(`${at} toolLoop.${k}`, 'a whole number >= 1', v);
  }
  if (o.retries !== undefined && !(Number.isInteger(o.retries) && o.retries >= 0)) {
    throw Errors.config(`${at} retries`, 'a whole number >= 0', o.retries);
  }
}

function positive(value: number | undefined, where: string): void {
  if (value !== undefined && !(typeof value === 'number' && value > 0)) throw Errors.config(where, 'a number > 0', value);
}
