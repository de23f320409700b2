import type { Observable } from 'rxjs';
import {
  type ChainEngine,
  type FlotillaConfig,
  type ModelClient,
  type ReviewOutcome,
  type RunEvent,
  type RunOptions,
  type RunResult,
  type CompletedStep,
  TOKENS,
  createFlotillaContainer,
} from '@flotilla/core';
import { ManagerAgent } from './manager.agent';
import { WorkerAgent } from './worker.agent';
import { ReviewerAgent } from './reviewer.agent';
import { codingPipeline, type CodingPipelineOptions } from './coding-pipeline.chain';
import type { Plan, Verdict } from './schemas';

export const DEFAULT_MANAGER_MODEL = 'neural-chat:latest';
export const DEFAULT_WORKER_MODEL = 'qwen2.5-coder:7b-q4_0';
export const DEFAULT_REVIEWER_MODEL = 'mistral:latest';

export interface ChainOrchestratorOptions extends CodingPipelineOptions {
  client: ModelClient;
  /** @default 'neural-chat:latest' */
  managerModel?: string;
  /** @default 'qwen2.5-coder:7b-q4_0' */
  workerModel?: string;
  /** @default 'mistral:latest' */
  reviewerModel?: string;
  /** Engine and per-agent configuration; its agent models take precedence over the defaults above. */
  config?: FlotillaConfig;
}

/** One model call of the pipeline, for tables and reports. */
export interface StepStats {
  step: string;
  agent: string;
  model: string;
  attempts: number;
  promptTokens: number;
  completionTokens: number;
  /** Model tokens per second, where the server reported generation time or the call took measurable time. */
  tokensPerSecond?: number;
  firstTokenMs?: number;
  queueMs?: number;
  loadMs?: number;
  /** The model call as the client timed it (falls back to the step's duration). */
  modelMs: number;
  /** The step as the engine saw it, retries and queueing included. */
  durationMs: number;
}

/** What a pipeline run produced: everything completed, even when the run failed. */
export interface PipelineResult {
  objective: string;
  status: RunResult['status'];
  error?: RunResult['error'];
  plan?: Plan;
  /** First-round worker outputs, in plan order. */
  stepOutputs: string[];
  reviews: Verdict[];
  approved: boolean;
  /** The last reviewed artifact (or the combined worker outputs when no review finished). */
  artifact?: string;
  stats: StepStats[];
  usage: RunResult['usage'];
  modelCalls: number;
  durationMs: number;
  run: RunResult;
}

/**
 * The manager / worker / reviewer pipeline behind one call:
 * `new ChainOrchestrator({ client }).runChain('Create a function that ...')`.
 */
export class ChainOrchestrator {
  readonly engine: ChainEngine;
  private readonly chain;

  constructor(options: ChainOrchestratorOptions) {
    const config: FlotillaConfig = {
      ...options.config,
      defaults: {
        ...options.config?.defaults,
        roles: {
          manager: options.managerModel ?? DEFAULT_MANAGER_MODEL,
          worker: options.workerModel ?? DEFAULT_WORKER_MODEL,
          reviewer: options.reviewerModel ?? DEFAULT_REVIEWER_MODEL,
          ...options.config?.defaults?.roles,
        },
      },
    };
    const container = createFlotillaContainer({ client: options.client, config, agents: [ManagerAgent, WorkerAgent, ReviewerAgent] });
    this.engine = container.get(TOKENS.ChainEngine);
    this.chain = codingPipeline(options);
  }

  /** The run as events (for progress displays and servers); the last one carries the result. */
  runChain$(objective: string, options: RunOptions = {}): Observable<RunEvent> {
    return this.engine.run$(this.chain, objective, options);
  }

  async runChain(objective: string, options: RunOptions = {}): Promise<PipelineResult> {
    return toPipelineResult(objective, await this.engine.run(this.chain, objective, options));
  }
}

/** Derives the pipeline's view from a run result: works on partial results too. */
export function toPipelineResult(objective: string, run: RunResult): PipelineResult {
  const byAgent = (agent: string) => run.steps.filter((s) => s.call?.agent === agent);
  const plan = byAgent('manager')[0]?.output as Plan | undefined;
  const workers = run.steps.find((s) => s.step === 'workers');
  const stepOutputs = (workers?.output as string[] | undefined) ?? firstRoundWorkerOutputs(run.steps);
  const loop = run.steps.find((s) => s.step === 'reviewLoop')?.output as ReviewOutcome<string, Verdict> | undefined;
  const reviews = loop ? loop.rounds.map((r) => r.verdict) : byAgent('reviewer').map((s) => s.output as Verdict);
  const combined = run.steps.filter((s) => s.step === 'combine' || s.step === 'revise').at(-1)?.output as string | undefined;
  return {
    objective,
    status: run.status,
    error: run.error,
    plan,
    stepOutputs,
    reviews,
    approved: loop?.approved ?? false,
    artifact: loop?.artifact ?? combined,
    stats: run.steps.filter((s) => s.call).map(toStats),
    usage: run.usage,
    modelCalls: run.modelCalls,
    durationMs: run.durationMs,
    run,
  };
}

function firstRoundWorkerOutputs(steps: CompletedStep[]): string[] {
  return steps.filter((s) => s.call?.agent === 'worker' && s.step !== 'revise').map((s) => s.output as string);
}

function toStats(s: CompletedStep): StepStats {
  const call = s.call!;
  const durationMs = s.endedAt - s.startedAt;
  const genMs = call.timings.evalMs ?? (call.timings.totalMs !== undefined && call.timings.firstTokenMs !== undefined ? call.timings.totalMs - call.timings.firstTokenMs : undefined);
  return {
    step: s.step,
    agent: call.agent,
    model: call.model,
    attempts: call.attempts,
    promptTokens: call.usage.promptTokens,
    completionTokens: call.usage.completionTokens,
    tokensPerSecond: genMs && genMs > 0 ? (call.usage.completionTokens / genMs) * 1000 : undefined,
    firstTokenMs: call.timings.firstTokenMs,
    queueMs: call.timings.queueMs,
    loadMs: call.timings.loadMs,
    modelMs: call.timings.totalMs ?? durationMs,
    durationMs,
  };
}
