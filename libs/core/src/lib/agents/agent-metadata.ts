import { Errors } from '../errors/errors';
import { METADATA_KEYS } from './metadata-keys';
import type { AgentOptions } from './agent-options';

export const DEFAULT_AGENT_RETRIES = 2;
export const DEFAULT_FIRST_TOKEN_MS = 60_000;
export const DEFAULT_STALL_MS = 30_000;
export const DEFAULT_TOTAL_MS = 300_000;

/** An agent's metadata with defaults applied, read once per class. */
export interface AgentDescriptor {
  readonly name: string;
  readonly role: string;
  readonly model?: string;
  readonly options: AgentOptions;
  readonly retries: number;
  readonly firstTokenMs: number;
  readonly stallMs: number;
  readonly totalMs: number;
  readonly concurrency: number;
  readonly priority: number;
}

const cache = new WeakMap<object, AgentDescriptor>();

export function readAgentMetadata(target: object): AgentDescriptor {
  const cached = cache.get(target);
  if (cached) return cached;
  const ctor = typeof target === 'function' ? target : target.constructor;
  const options = Reflect.getMetadata(METADATA_KEYS.agent, ctor) as AgentOptions | undefined;
  if (!options) throw Errors.config(`agent class ${(ctor as { name?: string }).name ?? '?'}`, 'an @Agent({ name, ... }) decorator');
  validateAgentOptions(options);
  const totalMs = options.timeouts?.totalMs ?? options.timeoutMs ?? DEFAULT_TOTAL_MS;
  const descriptor: AgentDescriptor = {
    name: options.name,
    role: options.role ?? 'worker',
    model: options.model,
    options,
    retries: options.retries ?? DEFAULT_AGENT_RETRIES,
    firstTokenMs: Math.min(options.timeouts?.firstTokenMs ?? DEFAULT_FIRST_TOKEN_MS, totalMs),
    stallMs: options.timeouts?.stallMs ?? DEFAULT_STALL_MS,
    totalMs,
    concurrency: options.concurrency ?? Infinity,
    priority: options.priority ?? 0,
  };
  cache.set(target, descriptor);
  return descriptor;
}

function validateAgentOptions(o: AgentOptions): void {
  const at = `@Agent(${JSON.stringify(o.name ?? '?')})`;
  if (typeof o.name !== 'string' || o.name.length === 0) throw Errors.config(`${at}.name`, 'a non-empty string', o.name);
  positive(o.timeoutMs, `${at}.timeoutMs`);
  positive(o.timeouts?.firstTokenMs, `${at}.timeouts.firstTokenMs`);
  positive(o.timeouts?.stallMs, `${at}.timeouts.stallMs`);
  positive(o.timeouts?.totalMs, `${at}.timeouts.totalMs`);
  positive(o.concurrency, `${at}.concurrency`);
  if (o.retries !== undefined && !(Number.isInteger(o.retries) && o.retries >= 0)) {
    throw Errors.config(`${at}.retries`, 'a whole number >= 0', o.retries);
  }
}

function positive(value: number | undefined, where: string): void {
  if (value !== undefined && !(typeof value === 'number' && value > 0)) throw Errors.config(where, 'a number > 0', value);
}
