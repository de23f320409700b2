import { Container } from 'inversify';
import type { AgentClass } from '../agents/agent-options';
import type { AgentSpec } from '../agents/agent-spec';
import type { FlotillaConfig } from '../di/flotilla-config';
import { TOKENS } from '../di/tokens';
import { Errors } from '../errors/errors';
import type { ModelClient } from '../model/model-client.interface';
import { ChainEngine, type ResumeOptions, type RunOptions } from '../engine/chain-engine';
import type { RunStore } from '../store/run-store.interface';
import { openRunStore } from '../store/open-run-store';
import { DEFAULT_RETENTION, type RetentionPolicy, RetentionSweeper, checkRetention } from '../store/retention';
import type { RunHandle } from '../engine/run-handle';
import { type Chain, defineChain } from '../steps/define-chain';
import { call } from '../steps/call.step';
import type { Step } from '../steps/step';
import type { Tool } from '../tools/tool';
import type { ToolExecutor } from '../tools/execute-tool';

export interface FlotillaOptions {
  /** Where model calls go: an adapter, a fleet router, a fixture client. Closed by `close()`. */
  client: ModelClient;
  /**
   * Agents callable by name (chain files, configuration). Agents a chain calls by spec or
   * class need not be listed.
   */
  agents?: readonly (AgentSpec<never, unknown> | AgentClass)[];
  /** Tools agents may list by name (chain files, Dotprompt `tools:`). */
  tools?: readonly Tool<never, unknown>[];
  /**
   * Runs every tool call; default `executeTool`. Wrap it to journal results (a resumed run
   * must not run a completed call again) or to run tools elsewhere.
   */
  toolExecutor?: ToolExecutor;
  /**
   * What else this Flotilla owns and closes with `close()`, after its runs are cancelled and
   * before its client: the MCP servers whose tools it was given (stdio processes stop then).
   */
  closeables?: readonly { close(): unknown }[];
  /** Per-agent overrides, model defaults, engine settings (docs/architecture.md). */
  config?: FlotillaConfig;
  /**
   * Your Inversify container, for `@Agent` classes whose constructors take injected services:
   * agents are resolved in a child of it. Either of inversify's builds: an ES module project
   * gets its ESM build, Flotilla (CommonJS) the CommonJS one, two distinct `Container` classes.
   */
  container?: InversifyContainer;
  /**
   * Makes runs durable: each completed model call is journaled before its output is used, and
   * `resume(chain, runId)` continues a run that a crash or a kill interrupted, taking journaled
   * steps from the store instead of calling the model. A file path opens the SQLite store
   * (`@flotilla/store-sqlite`; opened and closed by this Flotilla); a `RunStore` object is
   * used as it is (yours to close). Stores keep inputs and outputs in clear, never API keys
   * or headers. Without a store nothing is written.
   */
  store?: RunStore | string;
  /**
   * How long a durable run's lease lasts without renewal (renewed every third of it while the
   * run lasts). Another process may resume a run only once its lease has expired, or at once
   * when its holder was a process of this host that no longer exists. @default 30000
   */
  leaseMs?: number;
  /**
   * Which finished runs (succeeded, failed, cancelled) the store keeps; running and waiting
   * runs are never deleted. Applied when the Flotilla is made and after every 100 finished
   * runs (no timer). `false` keeps every run. @default { maxAgeMs: 30 days, maxRuns: 1000 }
   */
  retention?: RetentionPolicy | false;
}

/** An Inversify `Container` from either of the package's builds (only what Flotilla calls is typed). */
export type InversifyContainer = Pick<Container, 'get' | 'isBound'>;

/** What `createFlotilla` returns: runs chains (or single agents) on its client. */
export interface Flotilla extends AsyncDisposable {
  /** Starts a run of a chain, or of one agent on one input. */
  run<I, O>(chain: Chain<I, O> | AgentSpec<I, O>, input: I, options?: RunOptions): RunHandle<O>;
  /**
   * Continues a durable run (one started with a store configured) from the start of `chain`:
   * steps its journal holds are taken from it (marked `journaled` in their call stats), the
   * rest run. A run whose chain changed since is refused (`config`, reason `chainChanged`)
   * unless `force` is set.
   */
  resume<I, O>(chain: Chain<I, O> | AgentSpec<I, O>, runId: string, options?: ResumeOptions): RunHandle<O>;
  /** Checks a chain without running it (unknown agents, missing models, bad options). */
  validate(chain: Chain<never, unknown>): void;
  /** Names of the agents known so far. */
  readonly agents: readonly string[];
  /** Cancels runs in flight and closes the client (its sockets, probes, processes). Idempotent. */
  close(): Promise<void>;
}

/**
 * The one entry point: an engine with its client, agents and configuration wired.
 *
 * ```ts
 * const flotilla = createFlotilla({ client: new OllamaModelClient() });
 * const result = await flotilla.run(haiku, 'ships').result;
 * await flotilla.close();
 * ```
 */
export function createFlotilla(options: FlotillaOptions): Flotilla {
  if (!options?.client || typeof options.client.chat !== 'function') throw Errors.config('createFlotilla({ client })', 'a ModelClient (an adapter, a fleet router or a fixture client)');
  for (const c of options.closeables ?? []) if (typeof c?.close !== 'function') throw Errors.config('createFlotilla({ closeables })', 'objects with a close() method', c);
  const container = new Container({ autobind: true });
  const agents = options.container ? childContainer(options.container) : container;
  for (const c of new Set([container, agents])) {
    c.bind(TOKENS.ModelClient).toConstantValue(options.client);
    c.bind(TOKENS.Config).toConstantValue(options.config ?? {});
  }
  container.bind(TOKENS.AgentFactory).toConstantValue((cls) => agents.get(cls as unknown as new () => never));
  container.bind(TOKENS.ChainEngine).to(ChainEngine).inSingletonScope();
  const engine = container.get(TOKENS.ChainEngine);
  for (const tool of options.tools ?? []) engine.agents.registerTool(tool);
  if (options.toolExecutor) engine.toolExecutor = options.toolExecutor;
  for (const agent of options.agents ?? []) engine.agents.register(agent);
  if (options.leaseMs !== undefined) {
    if (!(Number.isInteger(options.leaseMs) && options.leaseMs >= 30)) throw Errors.config('createFlotilla({ leaseMs })', 'a whole number of milliseconds >= 30', options.leaseMs);
    engine.leaseMs = options.leaseMs;
  }
  if (options.store !== undefined) {
    const policy = options.retention === undefined ? DEFAULT_RETENTION : options.retention === false ? false : checkRetention(options.retention, 'createFlotilla({ retention })');
    engine.store = openRunStore(options.store);
    if (policy !== false) {
      engine.retention = new RetentionSweeper(engine.store, policy);
      engine.retention.sweep();
    }
  }
  return new FlotillaRuntime(engine, options.client, typeof options.store === 'string' ? engine.store : undefined, options.closeables ?? []);
}

/**
 * A child of the user's container made by its own class: a container's parent must be of its
 * class (inversify reads the parent's private fields), and the user's may come from the other
 * build of inversify than Flotilla's.
 */
function childContainer(parent: InversifyContainer): Container {
  const UserContainer = (parent as object).constructor as typeof Container;
  return new UserContainer({ autobind: true, parent: parent as Container });
}

class FlotillaRuntime implements Flotilla {
  /** Runs in flight, cancelled by close(). */
  private readonly live = new Set<RunHandle<unknown>>();
  /** Runs that ended before run() returned them (never added to `live`). */
  private readonly finished = new Set<RunHandle<unknown>>();
  private readonly ended = (handle: RunHandle<unknown>): void => {
    if (!this.live.delete(handle)) this.finished.add(handle);
  };
  private readonly single = new WeakMap<object, Chain<unknown, unknown>>();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly engine: ChainEngine,
    private readonly client: ModelClient,
    /** A store this Flotilla opened (from a path), closed with it. */
    private readonly ownStore: RunStore | undefined,
    private readonly closeables: readonly { close(): unknown }[],
  ) {}

  get agents(): readonly string[] {
    return this.engine.agents.names();
  }

  run<I, O>(target: Chain<I, O> | AgentSpec<I, O>, input: I, options?: RunOptions): RunHandle<O> {
    if (this.closing) throw Errors.config('flotilla.run()', 'a Flotilla that is not closed');
    const chain = isChain(target) ? (target as Chain<unknown, unknown>) : this.chainOf(target as AgentSpec<unknown, unknown>);
    return this.track(this.engine.run(chain, input, options, this.ended) as RunHandle<O>);
  }

  resume<I, O>(target: Chain<I, O> | AgentSpec<I, O>, runId: string, options?: ResumeOptions): RunHandle<O> {
    if (this.closing) throw Errors.config('flotilla.resume()', 'a Flotilla that is not closed');
    const chain = isChain(target) ? (target as Chain<unknown, unknown>) : this.chainOf(target as AgentSpec<unknown, unknown>);
    return this.track(this.engine.resume(chain, runId, options, this.ended) as RunHandle<O>);
  }

  private track<O>(handle: RunHandle<O>): RunHandle<O> {
    // A run that ended synchronously (an instant client) has already been dropped.
    if (!this.finished.delete(handle)) this.live.add(handle);
    return handle;
  }

  validate(chain: Chain<never, unknown>): void {
    this.engine.validate(chain);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all([...this.live].map((h) => h.cancel(new Error('flotilla closed'))));
      await Promise.all(this.closeables.map((c) => c.close()));
      await this.client.close?.();
      await this.engine.retention?.settled();
      await this.ownStore?.close();
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** One agent on one input: a chain of one call, made once per agent. */
  private chainOf(agent: AgentSpec<unknown, unknown>): Chain<unknown, unknown> {
    let chain = this.single.get(agent);
    if (!chain) {
      if (typeof agent !== 'object' || agent === null || typeof agent.prompt !== 'function') {
        throw Errors.config('flotilla.run(target)', 'a chain (defineChain) or an agent (defineAgent)');
      }
      chain = defineChain(agent.name, call(agent as AgentSpec<never, unknown>) as Step<unknown, unknown>);
      this.single.set(agent, chain);
    }
    return chain;
  }
}

function isChain(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'root' in value && typeof (value as { name?: unknown }).name === 'string';
}
