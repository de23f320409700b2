import type { FlotillaError } from '@flotilla/core';
import { withRequestDeadline } from '@flotilla/http';
import type OpenAI from 'openai';
import { type ErrorContext, toFlotillaError } from './openai-error.mapper';

/** One entry of `GET /v1/models`. */
export interface OpenAIModelInfo {
  id: string;
  ownedBy?: string;
  /** vLLM's `max_model_len`; other servers report none here. */
  contextLength?: number;
}

/** The answer of `health()`; failures are data here, not thrown. */
export interface OpenAIServerHealth {
  ok: boolean;
  /** Round trip of the probe, ms. */
  latencyMs: number;
  /** Which probe answered: `/health` (llama.cpp, vLLM) or `/v1/models` (servers without /health: Ollama, LM Studio). */
  probe: '/health' | '/v1/models';
  /** Why not ok: e.g. `overloaded` while llama.cpp loads its model (503), `unavailable` when nothing listens, `timeout` when it does not answer. */
  error?: FlotillaError;
}

export interface InfoContext {
  sdk: OpenAI;
  /** The base URL without its trailing `/v1`: where `/health` and `/props` live. */
  rootURL: string;
  /** How failures are reported (endpoint, key variable, /v1 hint). */
  errors: Omit<ErrorContext, 'phase' | 'model'>;
  /** Wall-clock deadline of each call here (`metadataTimeoutMs`). */
  timeoutMs: number;
}

/**
 * One metadata request under the caller's signal and a wall-clock deadline that covers the
 * body too (a trickling server cannot stretch it); errors mapped to FlotillaErrors.
 */
async function metadata<T>(info: InfoContext, path: string, signal: AbortSignal | undefined, request: (signal: AbortSignal) => Promise<T>): Promise<T> {
  try {
    return await withRequestDeadline(path, info.timeoutMs, signal, request);
  } catch (error) {
    throw toFlotillaError(error, { ...info.errors, phase: 'request' });
  }
}

export function listModels(info: InfoContext, signal?: AbortSignal): Promise<OpenAIModelInfo[]> {
  return metadata(info, '/v1/models', signal, async (s) => {
    const out: OpenAIModelInfo[] = [];
    for await (const m of info.sdk.models.list({ signal: s })) {
      const raw = m as unknown as Record<string, unknown>;
      out.push({
        id: m.id,
        ...(typeof m.owned_by === 'string' ? { ownedBy: m.owned_by } : {}),
        ...(typeof raw['max_model_len'] === 'number' ? { contextLength: raw['max_model_len'] } : {}),
      });
    }
    return out;
  });
}

export async function probeHealth(info: InfoContext, signal?: AbortSignal): Promise<OpenAIServerHealth> {
  const started = performance.now();
  try {
    await metadata(info, '/health', signal, (s) => info.sdk.get(`${info.rootURL}/health`, { signal: s }));
    return { ok: true, latencyMs: performance.now() - started, probe: '/health' };
  } catch (error) {
    if ((error as FlotillaError).details?.['status'] !== 404) {
      return { ok: false, latencyMs: performance.now() - started, probe: '/health', error: error as FlotillaError };
    }
  }
  try {
    await listModels(info, signal);
    return { ok: true, latencyMs: performance.now() - started, probe: '/v1/models' };
  } catch (error) {
    return { ok: false, latencyMs: performance.now() - started, probe: '/v1/models', error: error as FlotillaError };
  }
}

/**
 * Asks the server for a model's context length: vLLM's `max_model_len` in `/v1/models`, then
 * llama.cpp's `/props` (`default_generation_settings.n_ctx`, the per-slot window of the loaded
 * model). Undefined when neither says (Ollama's /v1, LM Studio: no such field, no /props).
 * Rejects when the server cannot be asked (unreachable, `timeout`).
 */
export async function discoverContextLength(info: InfoContext, model: string, signal?: AbortSignal): Promise<number | undefined> {
  const listed = await listModels(info, signal).catch((error: FlotillaError) => {
    if (answered(error)) return [];
    throw error;
  });
  const fromList = listed.find((m) => m.id === model)?.contextLength;
  if (fromList !== undefined) return fromList;
  const props = await metadata(info, '/props', signal, (s) => info.sdk.get(`${info.rootURL}/props`, { signal: s }) as Promise<Record<string, unknown>>).catch((error: FlotillaError) => {
    if (answered(error)) return undefined;
    throw error;
  });
  const settings = props?.['default_generation_settings'] as Record<string, unknown> | undefined;
  const nCtx = settings?.['n_ctx'];
  return typeof nCtx === 'number' && nCtx > 0 ? nCtx : undefined;
}

/** The server answered, just not with what we asked for (404, 401, a body that is not JSON): "does not say", not "down". */
function answered(error: FlotillaError): boolean {
  return typeof error.details?.['status'] === 'number' && error.kind !== 'overloaded' && error.kind !== 'unavailable';
}

