// @flotilla/agents: the manager / worker / reviewer coding pipeline: its agents, its chain,
// and the pipeline's view of a run.
export { manager, worker, reviewer, DEFAULT_MANAGER_MODEL, DEFAULT_WORKER_MODEL, DEFAULT_REVIEWER_MODEL, ReviewTaskSchema } from './lib/coding-pipeline.agents';
export type { WorkerInput, WorkerTask, RevisionTask, ReviewTask } from './lib/coding-pipeline.agents';
export { PLAN, VERDICT, PlanSchema, PlanStepSchema, VerdictSchema } from './lib/schemas';
export type { Plan, PlanStep, Verdict } from './lib/schemas';
export { codingPipeline, combineStepOutputs, CODING_PIPELINE } from './lib/coding-pipeline.chain';
export type { CodingPipeline, CodingPipelineOptions, CodingPipelineSteps } from './lib/coding-pipeline.chain';
export { pipelineResult } from './lib/pipeline-result';
export type { PipelineResult, StepStats } from './lib/pipeline-result';
export { codingPipelineChainFile, EXAMPLE_CHAIN_FILE } from './lib/example-chain';
