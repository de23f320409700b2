// @flotilla/core: what a user writes (agents, chains, runs), the contracts adapters implement
// (model clients, errors, schemas), and the run events every sink reads.
import 'reflect-metadata';

// Entry point and runs
export { createFlotilla } from './lib/flotilla/create-flotilla';
export type { Flotilla, FlotillaOptions, InversifyContainer } from './lib/flotilla/create-flotilla';
export type { RunOptions } from './lib/engine/chain-engine';
export type { RunHandle } from './lib/engine/run-handle';
export type { RunResult, RunStatus, CompletedStep } from './lib/engine/run-result';
export type { RunBudgets } from './lib/engine/run-context';
export { outputOf, outputsOf } from './lib/engine/output-of';
export type { FlotillaConfig, AgentConfig, EngineConfig } from './lib/di/flotilla-config';
// Durable runs: the run store contract, the in-memory store, the store's errors
export type { ResumeOptions } from './lib/engine/chain-engine';
export { RUN_STORE_SCHEMA_VERSION } from './lib/store/run-store.interface';
export type { RunStore, RunRecord, NewRunRecord, JournalEntry, RunEnd, RunUsage, RunLease, StoredRunOptions, StoredRunStatus } from './lib/store/run-store.interface';
export { DEFAULT_LEASE_MS } from './lib/store/durable-run';
export { InMemoryRunStore } from './lib/store/memory.run-store';
export { DEFAULT_RETENTION, pruneRuns } from './lib/store/retention';
export type { RetentionPolicy } from './lib/store/retention';
export { StoreErrors, runStoreErrorReason } from './lib/store/store-errors';
export type { RunStoreErrorReason } from './lib/store/store-errors';
export { declareAgentSource } from './lib/store/chain-hash';
export { resolveModel } from './lib/engine/agent-registry';

// Agents
export { defineAgent } from './lib/agents/agent-spec';
export type { AgentSpec, AgentDefinition, PromptContext, AgentInputOf, AgentOutputOf } from './lib/agents/agent-spec';
export { Agent } from './lib/agents/agent.decorator';
export type { AgentOptions, AgentRole, AgentTimeouts, ContextPolicy, AgentVariant, AgentClass, FlotillaAgent, ToolLoopOptions } from './lib/agents/agent-options';

// Tools
export { defineTool, DEFAULT_TOOL_TIMEOUT_MS, DEFAULT_TOOL_RESULT_CHARS } from './lib/tools/tool';
export type { Tool, ToolContext, ToolDefinitionInput } from './lib/tools/tool';
export { executeTool } from './lib/tools/execute-tool';
export type { ToolExecutor, ToolInvocation, ToolOutcome } from './lib/tools/execute-tool';
export { recoverToolCalls } from './lib/tools/recover-tool-calls';
export type { RecoveredToolCalls } from './lib/tools/recover-tool-calls';

// Chains and steps
export { step } from './lib/steps/step-builders';
export { defineChain } from './lib/steps/define-chain';
export type { Chain, ChainOptions } from './lib/steps/define-chain';
export type { Step, StepNode, StepType, StepContext, StepExecution, StepAttributes, ChildStep, Ref } from './lib/steps/step';
export type { CallOptions } from './lib/steps/call.step';
export type { FanOutOptions } from './lib/steps/fan-out.step';
export type { ReviewLoopOptions, ReviewInput, ReviseInput, ReviewOutcome, ReviewRound } from './lib/steps/review-loop.step';
export type { BranchOptions } from './lib/steps/branch.step';
export type { HumanOptions, HumanAnswer, HumanDecision, HumanQuestion, AskHuman } from './lib/steps/human.step';
export { sequenceOf } from './lib/steps/sequence.step';
export { mapKind } from './lib/steps/map.step';

// Run events
export type {
  RunEvent,
  RunStartEvent,
  StepStartEvent,
  TokenEvent,
  RetryEvent,
  StepEndEvent,
  StepErrorEvent,
  ToolCallRunEvent,
  ToolDeltaRunEvent,
  ToolResultRunEvent,
  RunWaitingEvent,
  RunEndEvent,
  StepKind,
  ErrorInfo,
  CallStats,
  ContextFit,
} from './lib/events/run-event';

// Errors
export { ERROR_KINDS, DEFAULT_RETRYABLE } from './lib/errors/error-kind';
export type { ErrorKind } from './lib/errors/error-kind';
export { FlotillaError } from './lib/errors/flotilla-error';
export type { FlotillaErrorOptions } from './lib/errors/flotilla-error';
export { Errors } from './lib/errors/errors';
export { resolveOptionalPeer, requireOptionalPeer } from './lib/errors/optional-peer';
export type { OptionalPeer } from './lib/errors/optional-peer';
export { importModule } from './lib/modules/import-module';

// The model-client contract (for adapters)
export type { ChatRole, ChatMessage, ToolCall, ToolDefinition } from './lib/model/chat-message';
export { SAMPLING_OPTION_KEYS } from './lib/model/chat-request';
export type { ChatRequest, ChatCallOptions, RetryHint, JsonSchema, SamplingOptions, RunnerOptions, ToolChoice } from './lib/model/chat-request';
export type { ChatEvent, DeltaEvent, ToolCallEvent, ToolCallDeltaEvent, LoadingEvent, QueuedEvent, DispatchedEvent, FinalEvent, FinishReason, TokenUsage, CallTimings } from './lib/model/chat-event';
export type { ModelClient } from './lib/model/model-client.interface';
export type { EmbeddingClient, EmbeddingRequest, EmbeddingResult } from './lib/model/embedding-client.interface';
export { abortableCall } from './lib/model/abortable-call';
export { isContextWindowAware } from './lib/model/context-window';
export type { ContextWindowAware } from './lib/model/context-window';
export { estimatePromptTokens, CHARS_PER_TOKEN } from './lib/model/token-estimate';
export { unsupportedOption, declareTransportOnlyOptions, transportOnlyOptions } from './lib/model/provider-options';
export type { ProviderOptions, ModelWarning } from './lib/model/provider-options';

// Schemas
export type { OutputSchema, ParseResult } from './lib/schema/output-schema';
export { zodSchema } from './lib/schema/zod-schema';
export { jsonSchema, formatAjvErrors } from './lib/schema/json-schema';
export type { JsonSchemaOptions } from './lib/schema/json-schema';
export { portableSchemaViolations, assertPortableSchema } from './lib/schema/portable-subset';
export { expectedFromZodIssue, describeValue } from './lib/schema/zod-issue';
export type { ZodIssueTextOptions } from './lib/schema/zod-issue';

export { closestName } from './lib/util/closest-name';
// Command-line flags, one parser for every command (CLI, demo, reports).
export { parseFlags, oneOfFlag, numberFlag, urlFlag } from './lib/util/parse-flags';
export type { NumberFlagOptions } from './lib/util/parse-flags';
