/**
 * Span attribute names: the OpenTelemetry GenAI semantic conventions (copied, as the
 * conventions advise for incubating attributes, rather than imported from `/incubating`)
 * and Flotilla's own under `flotilla.`.
 */
export const ATTR = {
  GEN_AI_OPERATION_NAME: 'gen_ai.operation.name',
  GEN_AI_PROVIDER_NAME: 'gen_ai.provider.name',
  /** Deprecated in favour of `gen_ai.provider.name`; still read by many backends. */
  GEN_AI_SYSTEM: 'gen_ai.system',
  GEN_AI_AGENT_NAME: 'gen_ai.agent.name',
  GEN_AI_REQUEST_MODEL: 'gen_ai.request.model',
  GEN_AI_RESPONSE_MODEL: 'gen_ai.response.model',
  GEN_AI_RESPONSE_FINISH_REASONS: 'gen_ai.response.finish_reasons',
  GEN_AI_USAGE_INPUT_TOKENS: 'gen_ai.usage.input_tokens',
  GEN_AI_USAGE_OUTPUT_TOKENS: 'gen_ai.usage.output_tokens',
  ERROR_TYPE: 'error.type',
  RUN_ID: 'flotilla.run_id',
  CHAIN: 'flotilla.chain',
  STATUS: 'flotilla.status',
  MODEL_CALLS: 'flotilla.model_calls',
  /** The step's display name: its id, else its agent, else its kind. */
  STEP: 'flotilla.step',
  /** The step's key: its place in the step tree, the same in every run that takes the same decisions. */
  STEP_KEY: 'flotilla.step.key',
  STEP_KIND: 'flotilla.step.kind',
  INDEX: 'flotilla.index',
  AGENT: 'flotilla.agent',
  ENDPOINT: 'flotilla.endpoint',
  VARIANT: 'flotilla.variant',
  ATTEMPT: 'flotilla.attempt',
  RETRY_COUNT: 'flotilla.retry_count',
  RETRY_DELAY_MS: 'flotilla.retry_delay_ms',
  QUEUE_MS: 'flotilla.queue_ms',
  LOAD_MS: 'flotilla.load_ms',
  TTFT_MS: 'flotilla.ttft_ms',
  TOTAL_MS: 'flotilla.total_ms',
  TOKENS_PER_SECOND: 'flotilla.tokens_per_second',
  GEN_AI_TOOL_NAME: 'gen_ai.tool.name',
  GEN_AI_TOOL_CALL_ID: 'gen_ai.tool.call.id',
  GEN_AI_TOOL_TYPE: 'gen_ai.tool.type',
  /** The tool loop's round of the call, and its place in the reply. */
  TOOL_ROUND: 'flotilla.tool.round',
  TOOL_INDEX: 'flotilla.tool.index',
} as const;

export const GEN_AI_OPERATION = { CHAT: 'chat', INVOKE_AGENT: 'invoke_agent', EXECUTE_TOOL: 'execute_tool' } as const;
