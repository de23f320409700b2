import { createHash } from 'node:crypto';
import type { ReplyScript } from './sim-reply';

/** How a simulated model is described; everything but the name has a default. */
export interface SimModelSpec {
  /** e.g. "qwen3:4b"; a name without a tag gets ":latest". */
  name: string;
  /** @default the name up to the first digit or ":" ("qwen" for "qwen3:4b"), else "llama" */
  family?: string;
  /** Context window the model was trained for (model_info `<family>.context_length`). @default 32768 */
  contextLength?: number;
  /** num_ctx used when a request sets none. @default 4096 */
  defaultNumCtx?: number;
  /** @default "4B" */
  parameterSize?: string;
  /** @default "Q4_K_M" */
  quantization?: string;
  /** Bytes of weights. @default 2_500_000_000 */
  size?: number;
  /** Bytes in GPU memory when loaded (/api/ps size_vram); less than `size` = partly on CPU. @default size */
  sizeVram?: number;
  /** Load time in simulated ms. @default 800 */
  loadMs?: number;
  /** Prompt processing speed. @default 800 */
  promptTokensPerSec?: number;
  /** Generation speed. @default 60 */
  tokensPerSec?: number;
  /** Fixed delay before the first token, on top of prompt processing (simulated ms). @default 20 */
  firstTokenMs?: number;
  /** @default ["completion", "tools"], or ["embedding"] when the name contains "embed" */
  capabilities?: string[];
  /** Length of embedding vectors. @default 16 */
  embeddingDims?: number;
  /** Replies of this model; falls back to the server's script, then the default reply. */
  script?: ReplyScript;
}

export type SimModel = Required<Omit<SimModelSpec, 'script'>> & { script?: ReplyScript; digest: string };

export function normalizeModelName(name: string): string {
  return name.includes(':') ? name : `${name}:latest`;
}

export function resolveModel(spec: string | SimModelSpec): SimModel {
  const s: SimModelSpec = typeof spec === 'string' ? { name: spec } : spec;
  const name = normalizeModelName(s.name);
  const embedding = /embed/i.test(name);
  return {
    name,
    family: s.family ?? (/^[a-z]+/i.exec(name)?.[0]?.toLowerCase() || 'llama'),
    contextLength: s.contextLength ?? 32768,
    defaultNumCtx: s.defaultNumCtx ?? 4096,
    parameterSize: s.parameterSize ?? '4B',
    quantization: s.quantization ?? 'Q4_K_M',
    size: s.size ?? 2_500_000_000,
    sizeVram: s.sizeVram ?? s.size ?? 2_500_000_000,
    loadMs: s.loadMs ?? 800,
    promptTokensPerSec: s.promptTokensPerSec ?? 800,
    tokensPerSec: s.tokensPerSec ?? 60,
    firstTokenMs: s.firstTokenMs ?? 20,
    capabilities: s.capabilities ?? (embedding ? ['embedding'] : ['completion', 'tools']),
    embeddingDims: s.embeddingDims ?? 16,
    script: s.script,
    digest: createHash('sha256').update(name).digest('hex'),
  };
}

export function modelDetails(m: SimModel): Record<string, unknown> {
  return {
    parent_model: '',
    format: 'gguf',
    family: m.family,
    families: [m.family],
    parameter_size: m.parameterSize,
    quantization_level: m.quantization,
  };
}
