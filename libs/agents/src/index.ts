// @flotilla/agents: the manager / worker / reviewer trio, its chain and facade.
export { ManagerAgent, MANAGER_SYSTEM_PROMPT } from './lib/manager.agent';
export { WorkerAgent, WORKER_SYSTEM_PROMPT } from './lib/worker.agent';
export type { WorkerInput, WorkerTask, RevisionTask } from './lib/worker.agent';
export { ReviewerAgent, REVIEWER_SYSTEM_PROMPT } from './lib/reviewer.agent';
export type { ReviewTask } from './lib/reviewer.agent';
export { PLAN, VERDICT, PlanSchema, PlanStepSchema, VerdictSchema } from './lib/schemas';
export type { Plan, PlanStep, Verdict } from './lib/schemas';
export { codingPipeline, combineStepOutputs, CODING_PIPELINE } from './lib/coding-pipeline.chain';
export type { CodingPipelineOptions } from './lib/coding-pipeline.chain';
export {
  ChainOrchestrator,
  toPipelineResult,
  DEFAULT_MANAGER_MODEL,
  DEFAULT_WORKER_MODEL,
  DEFAULT_REVIEWER_MODEL,
} from './lib/chain-orchestrator';
export type { ChainOrchestratorOptions, PipelineResult, StepStats } from './lib/chain-orchestrator';
