import type { AgentClass, AgentVariant, ContextPolicy, FlotillaAgent } from '../agents/agent-options';
import type { AgentSpec, PromptContext } from '../agents/agent-spec';
import { DEFAULT_AGENT_RETRIES, DEFAULT_FIRST_TOKEN_MS, DEFAULT_STALL_MS, DEFAULT_TOTAL_MS, readAgentMetadata, validateAgentOptions } from '../agents/agent-metadata';
import { Errors } from '../errors/errors';
import { FlotillaError } from '../errors/flotilla-error';
import type { FlotillaConfig } from '../di/flotilla-config';
import type { ChatMessage } from '../model/chat-message';
import type { SamplingOptions, RunnerOptions } from '../model/chat-request';
import type { ProviderOptions } from '../model/provider-options';
import type { OutputSchema } from '../schema/output-schema';
import type { Deadlines } from './deadline-tracker';
import { Limiter } from './limiter';
import { closestName } from '../util/closest-name';
import type { RetryPolicy } from './retry-policy';
import type { ToolDefinition } from '../model/chat-message';
import type { ToolChoice } from '../model/chat-request';
import { type Tool, toolDefinition } from '../tools/tool';

export const DEFAULT_TOOL_ROUNDS = 8;
export const DEFAULT_TOOL_ERRORS = 3;
export const DEFAULT_TOOL_CONCURRENCY = 4;
export const DEFAULT_TOOL_LOOP_MS = 600_000;

/** An agent's tools, resolved once: by name, as sent, and the loop's bounds. */
export interface ResolvedTools {
  readonly byName: ReadonlyMap<string, Tool<never, unknown>>;
  readonly names: readonly string[];
  readonly definitions: ToolDefinition[];
  /** For the loop's first call; undefined is the server's default (`auto`). */
  readonly choice?: ToolChoice;
  readonly maxRounds: number;
  readonly maxConsecutiveErrors: number;
  readonly concurrency: number;
  readonly deadlineMs: number;
}

/** How a step names its agent: the spec itself, an `@Agent` class, or a name bound on the engine. */
export type AgentRef = AgentSpec<never, unknown> | AgentClass | string;

/** An agent ready to run: its spec merged with configuration and defaults, and its limiter. */
export interface ResolvedAgent {
  readonly spec: AgentSpec<unknown, unknown>;
  readonly name: string;
  readonly role: string;
  readonly model: string;
  readonly output?: OutputSchema<unknown>;
  readonly retries: number;
  readonly deadlines: Deadlines;
  readonly priority: number;
  readonly options?: SamplingOptions & RunnerOptions;
  readonly providerOptions?: ProviderOptions;
  /** Engine-wide limit of this agent's calls; absent when unlimited. */
  readonly limiter?: Limiter;
  /** The agent's one retry budget and backoff (invalid output is retried at once). */
  readonly retryPolicy: RetryPolicy;
  readonly context?: ContextPolicy;
  /** A/B variants, when the agent (or its configuration) declares them. */
  readonly variants?: readonly AgentVariant[];
  /** Present when the agent has tools: the tool loop runs. */
  readonly tools?: ResolvedTools;
  /** The prompt as messages (a string prompt becomes one user message). */
  messages(input: unknown, context: PromptContext): readonly ChatMessage[];
}

/**
 * The agents an engine runs, by name. Specs register themselves the first time a chain names
 * them; classes are instantiated through the container (so they can receive injected services);
 * names find either. Each agent is resolved once: its configuration applied, its limiter made.
 */
export class AgentRegistry {
  private readonly byName = new Map<string, AgentSpec<unknown, unknown>>();
  private readonly resolved = new Map<AgentRef, ResolvedAgent>();
  private readonly byNameResolved = new Map<string, ResolvedAgent>();
  private readonly tools = new Map<string, Tool<never, unknown>>();

  constructor(
    private readonly config: FlotillaConfig,
    private readonly backoff: { baseDelayMs: number; maxDelayMs: number },
    private readonly instantiate: (cls: AgentClass) => FlotillaAgent<never, unknown>,
  ) {}

  names(): string[] {
    return [...this.byName.keys()];
  }

  /** Adds an agent (a spec or an `@Agent` class); a second, different agent under a taken name is a `config` error. */
  register(agent: AgentSpec<never, unknown> | AgentClass): AgentSpec<unknown, unknown> {
    const spec = typeof agent === 'function' ? this.specOfClass(agent) : (agent as AgentSpec<unknown, unknown>);
    validateAgentOptions(spec);
    const taken = this.byName.get(spec.name);
    if (taken && taken !== spec) throw new FlotillaError('config', `two different agents are named "${spec.name}"`, { details: { agent: spec.name } });
    this.byName.set(spec.name, spec);
    return spec;
  }

  /** Adds a tool agents may name; a second, different tool under a taken name is a `config` error. */
  registerTool(tool: Tool<never, unknown>): void {
    if (typeof tool?.name !== 'string' || typeof tool.run !== 'function' || typeof tool.parseArgs !== 'function') {
      throw Errors.config('tools', 'tools made by defineTool', tool);
    }
    const taken = this.tools.get(tool.name);
    if (taken && taken !== tool) throw new FlotillaError('config', `two different tools are named "${tool.name}"`, { details: { tool: tool.name } });
    this.tools.set(tool.name, tool);
  }

  toolNames(): string[] {
    return [...this.tools.keys()];
  }

  resolve(ref: AgentRef): ResolvedAgent {
    const hit = this.resolved.get(ref);
    if (hit) return hit;
    let spec: AgentSpec<unknown, unknown> | undefined;
    if (typeof ref === 'string') spec = this.byName.get(ref);
    else spec = this.register(ref);
    if (!spec) throw this.unknown(ref as string);
    let resolved = this.byNameResolved.get(spec.name);
    if (!resolved) {
      resolved = this.build(spec);
      this.byNameResolved.set(spec.name, resolved);
    }
    this.resolved.set(ref, resolved);
    return resolved;
  }

  private specOfClass(cls: AgentClass): AgentSpec<unknown, unknown> {
    const options = readAgentMetadata(cls);
    const taken = this.byName.get(options.name);
    if (taken && (taken as { __class?: unknown }).__class === cls) return taken;
    const instance = this.instantiate(cls) as FlotillaAgent<unknown, unknown>;
    const result = instance.result;
    return {
      ...options,
      prompt: (input: unknown, ctx: PromptContext) => instance.prompt(input, ctx),
      ...(result ? { result: (parsed: never, input: unknown) => result.call(instance, parsed, input) } : {}),
      __class: cls,
    } as AgentSpec<unknown, unknown>;
  }

  private unknown(name: string): FlotillaError {
    const known = this.names();
    const suggestion = closestName(name, known);
    return new FlotillaError(
      'config',
      `unknown agent "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; known agents: ${known.join(', ') || 'none'}. ` +
        'Pass it to createFlotilla({ agents: [...] }) or call it by its spec: step.call(myAgent).',
      { details: { agent: name, known, suggestion } },
    );
  }

  private build(spec: AgentSpec<unknown, unknown>): ResolvedAgent {
    const override = this.config.agents?.[spec.name] ?? {};
    const totalMs = override.timeouts?.totalMs ?? spec.timeouts?.totalMs ?? spec.timeoutMs ?? DEFAULT_TOTAL_MS;
    const concurrency = override.concurrency ?? spec.concurrency ?? Infinity;
    const options = spec.options || override.options ? { ...spec.options, ...override.options } : undefined;
    const retries = override.retries ?? spec.retries ?? DEFAULT_AGENT_RETRIES;
    const role = spec.role ?? 'worker';
    const prompt = spec.prompt;
    return {
      spec,
      name: spec.name,
      role,
      model: resolveModel(spec.name, role, spec.model, this.config),
      output: spec.output,
      retries,
      priority: spec.priority ?? 0,
      retryPolicy: { retries, ...this.backoff, immediate: isImmediate },
      context: override.context ?? spec.context,
      variants: checkVariants(spec.name, override.variants ?? spec.variants),
      deadlines: {
        firstTokenMs: Math.min(override.timeouts?.firstTokenMs ?? spec.timeouts?.firstTokenMs ?? DEFAULT_FIRST_TOKEN_MS, totalMs),
        stallMs: override.timeouts?.stallMs ?? spec.timeouts?.stallMs ?? DEFAULT_STALL_MS,
        totalMs,
      },
      options,
      providerOptions: mergeProviderOptions(spec.providerOptions, override.providerOptions),
      limiter: Number.isFinite(concurrency) ? new Limiter(concurrency) : undefined,
      tools: spec.tools?.length ? this.resolveTools(spec) : undefined,
      messages: (input, ctx) => {
        const m = prompt(input, ctx);
        return typeof m === 'string' ? [{ role: 'user', content: m }] : m;
      },
    };
  }

  private resolveTools(spec: AgentSpec<unknown, unknown>): ResolvedTools {
    const byName = new Map<string, Tool<never, unknown>>();
    spec.tools!.forEach((entry, i) => {
      let tool: Tool<never, unknown> | undefined;
      if (typeof entry === 'string') {
        tool = this.tools.get(entry);
        if (!tool) {
          const known = this.toolNames();
          const suggestion = closestName(entry, known);
          throw new FlotillaError(
            'config',
            `agent "${spec.name}" names an unknown tool "${entry}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}; known tools: ${known.join(', ') || 'none'}. ` +
              'Pass it to createFlotilla({ tools: [...] }) or list the tool itself: defineAgent({ tools: [myTool] }).',
            { details: { agent: spec.name, tool: entry, known, suggestion } },
          );
        }
      } else if (typeof entry?.name === 'string' && typeof entry.run === 'function' && typeof entry.parseArgs === 'function') tool = entry;
      else throw Errors.config(`agent "${spec.name}" tools[${i}]`, 'a tool made by defineTool, or a tool name', entry);
      const taken = byName.get(tool.name);
      if (taken && taken !== tool) throw new FlotillaError('config', `agent "${spec.name}" has two different tools named "${tool.name}"`, { details: { agent: spec.name, tool: tool.name } });
      byName.set(tool.name, tool);
    });
    const choice = spec.toolChoice;
    if (typeof choice === 'object' && !byName.has(choice.name)) {
      throw Errors.config(`agent "${spec.name}" toolChoice`, `one of its tools (${[...byName.keys()].join(', ')})`, choice.name);
    }
    const loop = spec.toolLoop ?? {};
    return {
      byName,
      names: [...byName.keys()],
      definitions: [...byName.values()].map(toolDefinition),
      ...(choice === undefined ? {} : { choice }),
      maxRounds: loop.maxRounds ?? DEFAULT_TOOL_ROUNDS,
      maxConsecutiveErrors: loop.maxConsecutiveErrors ?? DEFAULT_TOOL_ERRORS,
      concurrency: loop.concurrency ?? DEFAULT_TOOL_CONCURRENCY,
      deadlineMs: loop.deadlineMs ?? DEFAULT_TOOL_LOOP_MS,
    };
  }
}

/**
 * Which model an agent gets, in one order: configuration (`agents.<name>.model`), then the
 * agent's own `model`, then the defaults (per role, then global).
 */
export function resolveModel(name: string, role: string, model: string | undefined, config: FlotillaConfig): string {
  const chosen = config.agents?.[name]?.model ?? model ?? config.defaults?.roles?.[role] ?? config.defaults?.model;
  if (!chosen) {
    throw Errors.config(`agent "${name}"`, `a model: set agents.${name}.model in the configuration, the agent's model, or defaults.roles.${role}`);
  }
  return chosen;
}

function mergeProviderOptions(own: ProviderOptions | undefined, configured: ProviderOptions | undefined): ProviderOptions | undefined {
  if (!configured) return own;
  if (!own) return configured;
  const out: Record<string, Readonly<Record<string, unknown>>> = { ...own };
  for (const [provider, options] of Object.entries(configured)) out[provider] = { ...own[provider], ...options };
  return out;
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
