import { type CompletedStep, type RunResult, outputOf, outputsOf } from '@flotilla/core';
import type { CodingPipeline } from './coding-pipeline.chain';
import type { Plan, Verdict } from './schemas';

/** One model call of the pipeline, for tables and reports. */
export interface StepStats {
  /** The step's key. */
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

/** The pipeline's view of a run, read by its named steps: works on partial results too. */
export function pipelineResult(pipeline: CodingPipeline, objective: string, run: RunResult): PipelineResult {
  const { steps } = pipeline;
  const loop = outputOf(run, steps.loop);
  const workers = outputOf(run, steps.workers);
  return {
    objective,
    status: run.status,
    error: run.error,
    plan: outputOf(run, steps.plan),
    stepOutputs: workers ?? firstRoundWorkerOutputs(run.steps),
    reviews: loop ? loop.rounds.map((r) => r.verdict) : outputsOf(run, steps.review),
    approved: loop?.approved ?? false,
    artifact: loop?.artifact ?? outputOf(run, steps.revise) ?? outputOf(run, steps.combine),
    stats: run.steps.filter((s) => s.call).map(toStats),
    usage: run.usage,
    modelCalls: run.modelCalls,
    durationMs: run.durationMs,
    run,
  };
}

/** Workers of the first round that finished before a failure, in plan order. */
function firstRoundWorkerOutputs(steps: readonly CompletedStep[]): string[] {
  const byItem = steps.filter((s) => s.parentKey?.endsWith('workers') && s.call).sort((a, b) => itemIndex(a.key) - itemIndex(b.key));
  return byItem.map((s) => s.output as string);
}

function itemIndex(key: string): number {
  return Number(/\[(\d+)\]$/.exec(key)?.[1] ?? -1);
}

function toStats(s: CompletedStep): StepStats {
  const call = s.call!;
  const durationMs = s.endedAt - s.startedAt;
  const genMs = call.timings.evalMs ?? (call.timings.totalMs !== undefined && call.timings.firstTokenMs !== undefined ? call.timings.totalMs - call.timings.firstTokenMs : undefined);
  return {
    step: s.key,
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
