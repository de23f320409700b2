import type { AgentClass, AgentVariant, ContextPolicy, FlotillaAgent } from '../agents/agent-options';
import { Errors } from '../errors/errors';
import { type AgentDescriptor, readAgentMetadata } from '../agents/agent-metadata';
import type { FlotillaConfig } from '../di/flotilla-config';
import type { SamplingOptions, RunnerOptions } from '../model/chat-request';
import { FlotillaError } from '../errors/flotilla-error';
import type { AgentRef } from './steps';
import type { Deadlines } from './operators/with-deadlines.operator';
import { Limiter } from './limiter';
import { resolveModel } from './model-resolver';
import { closestName } from '../util/closest-name';
import type { RetryPolicy } from './operators/with-retry.operator';

/** An agent ready to run: its instance, metadata merged with configuration, its limiter. */
export interface ResolvedAgent {
  readonly instance: FlotillaAgent<unknown, unknown>;
  readonly descriptor: AgentDescriptor;
  readonly name: string;
  readonly model: string;
  readonly retries: number;
  readonly deadlines: Deadlines;
  readonly options?: SamplingOptions & RunnerOptions;
  /** Engine-wide limit of this agent's calls; absent when unlimited. */
  readonly limiter?: Limiter;
  /** The agent's one retry budget and backoff (invalid output is retried at once). */
  readonly retryPolicy: RetryPolicy;
  readonly context?: ContextPolicy;
  /** A/B variants, when the agent (or its configuration) declares them. */
  readonly variants?: readonly AgentVariant[];
}

/** Finds agents by name or class among those bound in the container; resolves each once. */
export class AgentRegistry {
  private readonly byName = new Map<string, FlotillaAgent<never, unknown>>();
  private readonly resolved = new Map<AgentRef, ResolvedAgent>();

  constructor(
    agents: readonly FlotillaAgent<never, unknown>[],
    private readonly config: FlotillaConfig,
    private readonly backoff: { baseDelayMs: number; maxDelayMs: number },
  ) {
    for (const agent of agents) {
      const { name } = readAgentMetadata(agent);
      if (this.byName.has(name)) {
        throw new FlotillaError('config', `two agents are bound under the name "${name}"`, { details: { agent: name } });
      }
      this.byName.set(name, agent);
    }
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  resolve(ref: AgentRef): ResolvedAgent {
    const hit = this.resolved.get(ref);
    if (hit) return hit;
    const instance = typeof ref === 'string' ? this.byName.get(ref) : this.findByClass(ref);
    if (!instance) throw this.unknown(ref);
    const resolved = this.build(instance as FlotillaAgent<unknown, unknown>);
    this.resolved.set(ref, resolved);
    return resolved;
  }

  private findByClass(cls: AgentClass): FlotillaAgent<never, unknown> | undefined {
    for (const agent of this.byName.values()) if (agent instanceof cls) return agent;
    return undefined;
  }

  private unknown(ref: AgentRef): FlotillaError {
    const name = typeof ref === 'string' ? ref : safeName(ref);
    const known = this.names();
    const suggestion = closestName(name, known);
    return new FlotillaError(
      'config',
      `unknown agent "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; bound agents: ${known.join(', ') || 'none'}. ` +
        'Bind it with container.bind(TOKENS.Agent).to(YourAgent).',
      { details: { agent: name, known, suggestion } },
    );
  }

  private build(instance: FlotillaAgent<unknown, unknown>): ResolvedAgent {
    const d = readAgentMetadata(instance);
    const override = this.config.agents?.[d.name] ?? {};
    const totalMs = override.timeouts?.totalMs ?? d.totalMs;
    const concurrency = override.concurrency ?? d.concurrency;
    const options = d.options.options || override.options ? { ...d.options.options, ...override.options } : undefined;
    const retries = override.retries ?? d.retries;
    return {
      instance,
      descriptor: d,
      name: d.name,
      model: resolveModel(d, this.config),
      retries,
      retryPolicy: { retries, ...this.backoff, immediate: isImmediate },
      context: override.context ?? d.options.context,
      variants: checkVariants(d.name, override.variants ?? d.options.variants),
      deadlines: {
        firstTokenMs: Math.min(override.timeouts?.firstTokenMs ?? d.firstTokenMs, totalMs),
        stallMs: override.timeouts?.stallMs ?? d.stallMs,
        totalMs,
      },
      options,
      limiter: Number.isFinite(concurrency) ? new Limiter(concurrency) : undefined,
    };
  }
}

/**
 * Retried at once, without backoff: invalid output (ask again with the error fed back) and
 * errors a router marks `details.failover` (another endpoint can take the call now).
 */
const isImmediate = (e: FlotillaError) => e.kind === 'badOutput' || e.details['failover'] === true;

function checkVariants(agent: string, variants: readonly AgentVariant[] | undefined): readonly AgentVariant[] | undefined {
  if (variants === undefined) return undefined;
  const at = `agent "${agent}" variants`;
  if (variants.length === 0) throw Errors.config(at, 'at least one variant');
  const names = new Set<string>();
  variants.forEach((v, i) => {
    if (typeof v.name !== 'string' || !v.name) throw Errors.config(`${at}[${i}].name`, 'a non-empty string', v.name);
    if (names.has(v.name)) throw Errors.config(`${at}[${i}].name`, 'a name not used by another variant', v.name);
    names.add(v.name);
    if (v.weight !== undefined && !(v.weight >= 0)) throw Errors.config(`${at}[${i}].weight`, 'a number >= 0', v.weight);
  });
  if (variants.every((v) => v.weight === 0)) throw Errors.config(`${at}`, 'at least one variant with a weight above 0');
  return variants;
}

function safeName(ref: AgentClass): string {
  try {
    return readAgentMetadata(ref).name;
  } catch {
    return ref.name;
  }
}
