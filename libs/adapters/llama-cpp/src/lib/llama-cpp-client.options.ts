import { type ChatRequest, Errors } from '@flotilla/core';

/** Default sequences per model context: parallel requests on one model. */
export const DEFAULT_SLOTS = 2;
/**
 * Default CPU threads. On small machines (2 cores) one thread is fastest by far: llama.cpp's
 * threads spin-wait, and more threads than free cores collapse throughput (see
 * docs/embedded-engine.md for the figures). Raise it for big models on many cores.
 */
export const DEFAULT_THREADS = 1;
/** Default idle time before a model is unloaded: 5 minutes, like Ollama's keep_alive. */
export const DEFAULT_IDLE_UNLOAD_MS = 5 * 60_000;
/** Default context window per sequence when the model's trained length is larger. */
export const DEFAULT_MAX_CONTEXT = 4096;
/** Sampling temperature when a request sets none (Ollama's default; node-llama-cpp's own is greedy). */
export const DEFAULT_TEMPERATURE = 0.8;

/** One GGUF model the client serves. */
export interface LlamaCppModelSpec {
  /** Path of the GGUF file. */
  path: string;
  /** Context window per sequence, in tokens. @default the trained length, at most 4096 */
  contextSize?: number;
  /** Sequences of the model's context: requests generated at once. @default the client's `slots` */
  slots?: number;
  /** Requests allowed to wait for a sequence; beyond it calls fail as `overloaded`. @default the client's `maxQueue` */
  maxQueue?: number;
  /** Unload after this long with no request. @default the client's `idleUnloadMs` */
  idleUnloadMs?: number;
  /** Evaluation threads of this model's context. @default the client's `threads` */
  threads?: number;
  /** Tokens evaluated per batch. @default node-llama-cpp's (512, or less for small contexts) */
  batchSize?: number;
}

export interface LlamaCppModelClientOptions {
  /** Models by the name requests use: a spec, or just the GGUF path. */
  models: Record<string, LlamaCppModelSpec | string>;
  /** Name for traces and fixtures. @default "llama-cpp@embedded" */
  name?: string;
  /** @default 2 (DEFAULT_SLOTS) */
  slots?: number;
  /** @default Infinity */
  maxQueue?: number;
  /** CPU threads for evaluation (and the backend's maximum). @default 1 (DEFAULT_THREADS) */
  threads?: number;
  /** @default 300000 (DEFAULT_IDLE_UNLOAD_MS) */
  idleUnloadMs?: number;
  /**
   * A GBNF grammar to constrain a request's reply, for requests without `format` (a closed
   * set of answers, a fixed shape). Undefined leaves the request free.
   * @default none
   */
  grammar?: (request: ChatRequest) => string | undefined;
}

export interface ResolvedModelSpec {
  name: string;
  path: string;
  contextSize?: number;
  slots: number;
  maxQueue: number;
  idleUnloadMs: number;
  threads: number;
  batchSize?: number;
}

export interface ResolvedLlamaCppOptions {
  name: string;
  threads: number;
  models: ReadonlyMap<string, ResolvedModelSpec>;
  grammar?: (request: ChatRequest) => string | undefined;
}

function positiveInt(where: string, v: unknown, fallback: number, allowInfinity = false): number {
  if (v === undefined) return fallback;
  if (allowInfinity && v === Infinity) return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw Errors.config(where, 'a non-negative integer', v);
  return v;
}

export function resolveLlamaCppOptions(options: LlamaCppModelClientOptions): ResolvedLlamaCppOptions {
  if (typeof options?.models !== 'object' || options.models === null) throw Errors.config('LlamaCppModelClient models', 'an object of name -> GGUF path');
  const threads = Math.max(1, positiveInt('LlamaCppModelClient threads', options.threads, DEFAULT_THREADS));
  const slots = Math.max(1, positiveInt('LlamaCppModelClient slots', options.slots, DEFAULT_SLOTS));
  const maxQueue = positiveInt('LlamaCppModelClient maxQueue', options.maxQueue, Infinity, true);
  const idleUnloadMs = positiveInt('LlamaCppModelClient idleUnloadMs', options.idleUnloadMs, DEFAULT_IDLE_UNLOAD_MS, true);
  const models = new Map<string, ResolvedModelSpec>();
  for (const [name, raw] of Object.entries(options.models)) {
    const spec: LlamaCppModelSpec = typeof raw === 'string' ? { path: raw } : raw;
    const where = `LlamaCppModelClient models.${name}`;
    if (typeof spec?.path !== 'string' || spec.path === '') throw Errors.config(`${where}.path`, 'a GGUF file path', spec?.path);
    models.set(name, {
      name,
      path: spec.path,
      contextSize: spec.contextSize === undefined ? undefined : Math.max(1, positiveInt(`${where}.contextSize`, spec.contextSize, 0)),
      slots: Math.max(1, positiveInt(`${where}.slots`, spec.slots, slots)),
      maxQueue: positiveInt(`${where}.maxQueue`, spec.maxQueue, maxQueue, true),
      idleUnloadMs: positiveInt(`${where}.idleUnloadMs`, spec.idleUnloadMs, idleUnloadMs, true),
      threads: Math.max(1, positiveInt(`${where}.threads`, spec.threads, threads)),
      batchSize: spec.batchSize === undefined ? undefined : Math.max(1, positiveInt(`${where}.batchSize`, spec.batchSize, 0)),
    });
  }
  return { name: options.name ?? 'llama-cpp@embedded', threads, models, grammar: options.grammar };
}
