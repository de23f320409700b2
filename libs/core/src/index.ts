// @flotilla/core: contracts (model client, agents, chains, events, errors) and the engine.
export { ERROR_KINDS, DEFAULT_RETRYABLE } from './lib/errors/error-kind';
export type { ErrorKind } from './lib/errors/error-kind';
export { FlotillaError } from './lib/errors/flotilla-error';
export type { FlotillaErrorOptions } from './lib/errors/flotilla-error';
export { Errors } from './lib/errors/errors';

export type { ChatRole, ChatMessage, ToolCall, ToolDefinition } from './lib/model/chat-message';
export { SAMPLING_OPTION_KEYS } from './lib/model/chat-request';
export type { ChatRequest, ChatCallOptions, RetryHint, JsonSchema, SamplingOptions, RunnerOptions } from './lib/model/chat-request';
export type {
  ChatEvent,
  DeltaEvent,
  ToolCallEvent,
  LoadingEvent,
  QueuedEvent,
  DispatchedEvent,
  FinalEvent,
  FinishReason,
  TokenUsage,
  CallTimings,
} from './lib/model/chat-event';
export type { ModelClient } from './lib/model/model-client.interface';
export type { EmbeddingClient, EmbeddingRequest, EmbeddingResult } from './lib/model/embedding-client.interface';
export { finalEvent } from './lib/model/collect-reply';
export { abortableCall } from './lib/model/abortable-call';
export { isContextWindowAware } from './lib/model/context-window';
export type { ContextWindowAware } from './lib/model/context-window';
export { estimatePromptTokens, CHARS_PER_TOKEN, TOKENS_PER_MESSAGE } from './lib/model/token-estimate';

export type { OutputSchema, ParseResult } from './lib/schema/output-schema';
export { zodSchema } from './lib/schema/zod-schema';
export { jsonSchema, formatAjvErrors } from './lib/schema/json-schema';
export type { JsonSchemaOptions } from './lib/schema/json-schema';
export { portableSchemaViolations, assertPortableSchema } from './lib/schema/portable-subset';
export { expectedFromZodIssue, describeValue } from './lib/schema/zod-issue';
export type { ZodIssueTextOptions } from './lib/schema/zod-issue';

export { Agent } from './lib/agents/agent.decorator';
export { METADATA_KEYS } from './lib/agents/metadata-keys';
export { readAgentMetadata } from './lib/agents/agent-metadata';
export type { AgentDescriptor } from './lib/agents/agent-metadata';
export type {
  AgentOptions,
  AgentRole,
  AgentTimeouts,
  ContextPolicy,
  AgentVariant,
  AgentClass,
  AgentInput,
  AgentOutput,
  FlotillaAgent,
  PromptContext,
} from './lib/agents/agent-options';

export { TOKENS } from './lib/di/tokens';
export { createFlotillaContainer } from './lib/di/create-container';
export type { FlotillaContainerOptions } from './lib/di/create-container';
export type { FlotillaConfig, AgentConfig, EngineConfig } from './lib/di/flotilla-config';

export { ChainEngine } from './lib/engine/chain-engine';
export type { RunOptions } from './lib/engine/chain-engine';
export { step, defineChain } from './lib/engine/steps';
export type {
  Step,
  Chain,
  Scope,
  AgentRef,
  CallStep,
  SequenceStep,
  MapStep,
  FanOutStep,
  ReviewLoopStep,
  BranchStep,
  ReviewOutcome,
  ReviewRound,
} from './lib/engine/steps';
export type { RunResult, RunStatus, CompletedStep } from './lib/engine/run-result';
export type { RunBudgets } from './lib/engine/run-context';
export { resolveModel } from './lib/engine/model-resolver';
export { Limiter } from './lib/engine/limiter';
export { ContextGuard, DEFAULT_REPLY_RESERVE } from './lib/engine/context-guard';
export type { FittedRequest } from './lib/engine/context-guard';
export { withRetry, backoffDelay } from './lib/engine/operators/with-retry.operator';
export type { RetryPolicy } from './lib/engine/operators/with-retry.operator';
export { withDeadlines } from './lib/engine/operators/with-deadlines.operator';
export type { Deadlines, CallPhase } from './lib/engine/operators/with-deadlines.operator';
export { fanOut } from './lib/engine/operators/fan-out.operator';
export { reviewLoop } from './lib/engine/operators/review-loop.operator';
export type { ReviewLoopOptions } from './lib/engine/operators/review-loop.operator';
export { branch } from './lib/engine/operators/branch.operator';
export { closestName } from './lib/util/closest-name';
export { parseFlags, oneOfFlag, numberFlag, urlFlag } from './lib/util/parse-flags';
export type { NumberFlagOptions } from './lib/util/parse-flags';

export type {
  RunEvent,
  RunStartEvent,
  StepStartEvent,
  TokenEvent,
  RetryEvent,
  StepEndEvent,
  StepErrorEvent,
  RunEndEvent,
  StepKind,
  ErrorInfo,
  CallStats,
  ContextFit,
} from './lib/events/run-event';
