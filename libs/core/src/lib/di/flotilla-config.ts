import type { SamplingOptions, RunnerOptions } from '../model/chat-request';
import type { ProviderOptions } from '../model/provider-options';
import type { AgentTimeouts, AgentVariant, ContextPolicy } from '../agents/agent-options';

export interface AgentConfig {
  model?: string;
  retries?: number;
  concurrency?: number;
  timeouts?: AgentTimeouts;
  options?: SamplingOptions & RunnerOptions;
  /** Merged over the agent's own, provider by provider. */
  providerOptions?: ProviderOptions;
  context?: ContextPolicy;
  variants?: AgentVariant[];
}

export interface EngineConfig {
  /** Model calls in flight at once within one run, shared by nested fan-outs. @default 8 */
  runConcurrency?: number;
  /** @default 250 */
  retryBaseDelayMs?: number;
  /** @default 10_000 */
  retryMaxDelayMs?: number;
  /** Keep token events in each run's trace (they are always streamed). @default false */
  traceTokens?: boolean;
}

/** What the container factory takes. Everything optional; see docs/architecture.md. */
export interface FlotillaConfig {
  /** Per agent name: overrides of its `@Agent` options. First in model resolution. */
  agents?: Record<string, AgentConfig>;
  /** Last in model resolution: per role, then for everyone. */
  defaults?: { roles?: Record<string, string>; model?: string };
  engine?: EngineConfig;
}
