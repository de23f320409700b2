import type { FlotillaError } from '@flotilla/core';
import OpenAI from 'openai';
import { toFlotillaError } from './openai-error.mapper';

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
  /** Why not ok: e.g. `overloaded` while llama.cpp loads its model (503), `unavailable` when nothing listens. */
  error?: FlotillaError;
}

export interface InfoContext {
  sdk: OpenAI;
  endpoint: string;
  /** The base URL without its trailing `/v1`: where `/health` and `/props` live. */
  rootURL: string;
  secret?: string;
}

export async function listModels(info: InfoContext, signal?: AbortSignal): Promise<OpenAIModelInfo[]> {
  try {
    const out: OpenAIModelInfo[] = [];
    for await (const m of info.sdk.models.list({ signal })) {
      const raw = m as unknown as Record<string, unknown>;
      out.push({
        id: m.id,
        ...(typeof m.owned_by === 'string' ? { ownedBy: m.owned_by } : {}),
        ...(typeof raw['max_model_len'] === 'number' ? { contextLength: raw['max_model_len'] } : {}),
      });
    }
    return out;
  } catch (error) {
    throw toFlotillaError(error, { endpoint: info.endpoint, phase: 'request', secret: info.secret });
  }
}

export async function probeHealth(info: InfoContext, signal?: AbortSignal): Promise<OpenAIServerHealth> {
  const started = performance.now();
  try {
    await info.sdk.get(`${info.rootURL}/health`, { signal });
    return { ok: true, latencyMs: performance.now() - started, probe: '/health' };
  } catch (error) {
    if (!(error instanceof OpenAI.NotFoundError)) {
      const mapped = toFlotillaError(error, { endpoint: info.endpoint, phase: 'request', secret: info.secret });
      return { ok: false, latencyMs: performance.now() - started, probe: '/health', error: mapped };
    }
  }
  try {
    await listModels(info, signal);
    return { ok: true, latencyMs: performance.now() - started, probe: '/v1/models' };
  } catch (error) {
    const mapped = toFlotillaError(error, { endpoint: info.endpoint, phase: 'request', secret: info.secret });
    return { ok: false, latencyMs: performance.now() - started, probe: '/v1/models', error: mapped };
  }
}

/**
 * Asks the server for a model's context length: vLLM's `max_model_len` in `/v1/models`, then
 * llama.cpp's `/props` (`default_generation_settings.n_ctx`, the per-slot window of the loaded
 * model). Undefined when neither answers (Ollama's /v1, LM Studio).
 */
export async function discoverContextLength(info: InfoContext, model: string, signal?: AbortSignal): Promise<number | undefined> {
  const listed = await listModels(info, signal).catch(() => []);
  const fromList = listed.find((m) => m.id === model)?.contextLength;
  if (fromList !== undefined) return fromList;
  try {
    const props = (await info.sdk.get(`${info.rootURL}/props`, { signal })) as Record<string, unknown>;
    const settings = props?.['default_generation_settings'] as Record<string, unknown> | undefined;
    const nCtx = settings?.['n_ctx'];
    return typeof nCtx === 'number' && nCtx > 0 ? nCtx : undefined;
  } catch {
    return undefined;
  }
}
