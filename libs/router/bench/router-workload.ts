// The router benchmark's workload, committed before any tuning (see docs/benchmarks.md, "## Router").
// All times are simulated milliseconds; the simulators run them `TIME_SCALE` times faster.

/** Real ms per simulated ms. */
export const TIME_SCALE = 0.02;

export interface BenchServer {
  name: string;
  /** OLLAMA_NUM_PARALLEL: slots per loaded model. */
  slots: number;
  /** OLLAMA_MAX_LOADED_MODELS. */
  maxLoaded: number;
  /** Generation speed of every model on this server. */
  tokensPerSec: number;
  promptTokensPerSec: number;
  /** Cold-load time of every model on this server. */
  loadMs: number;
}

/** Three servers of different speed, slots and load cost. */
export const SERVERS: readonly BenchServer[] = [
  { name: 'fast', slots: 4, maxLoaded: 2, tokensPerSec: 120, promptTokensPerSec: 2000, loadMs: 2_000 },
  { name: 'mid', slots: 2, maxLoaded: 2, tokensPerSec: 60, promptTokensPerSec: 1000, loadMs: 4_000 },
  { name: 'slow', slots: 1, maxLoaded: 1, tokensPerSec: 25, promptTokensPerSec: 400, loadMs: 6_000 },
];

export interface BenchStage {
  agent: 'manager' | 'worker' | 'reviewer';
  model: string;
  /** Calls of this stage per run (run in parallel). */
  calls: number;
  /** Reply length in tokens. */
  tokens: number;
  priority: number;
}

/** One pipeline run: manager -> 5 workers -> reviewer; three models compete for memory (2, 2 and 1 slots of it). */
export const PIPELINE: readonly BenchStage[] = [
  { agent: 'manager', model: 'neural-chat:latest', calls: 1, tokens: 60, priority: 0 },
  { agent: 'worker', model: 'qwen2.5-coder:7b-q4_0', calls: 5, tokens: 150, priority: 0 },
  { agent: 'reviewer', model: 'mistral:latest', calls: 1, tokens: 40, priority: 10 },
];

export const RUNS = 200;
/** Poisson arrivals: mean gap between run starts, simulated ms (about 90% of the worker model's capacity). */
export const MEAN_INTERARRIVAL_MS = 1_300;
/** Seed of the arrival pattern (mulberry32). */
export const SEED = 5;

/** Run start offsets in simulated ms, first at 0. */
export function arrivals(runs = RUNS, meanMs = MEAN_INTERARRIVAL_MS, seed = SEED): number[] {
  let a = seed >>> 0;
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [0];
  while (out.length < runs) out.push(out.at(-1)! - meanMs * Math.log(1 - random()));
  return out;
}

/** Policies compared: the router's, and the two baselines other routers use. */
export const POLICIES = ['scored', 'round-robin', 'least-connections'] as const;
