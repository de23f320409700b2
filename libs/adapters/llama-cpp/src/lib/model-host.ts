import { stat } from 'node:fs/promises';
import { FlotillaError } from '@flotilla/core';
import type { ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel } from 'node-llama-cpp';
import { DEFAULT_MAX_CONTEXT, type ResolvedModelSpec } from './llama-cpp-client.options';
import { importNodeLlamaCpp } from './node-llama-cpp.loader';
import { SlotPool } from './slot-pool';

/** A model in memory with its context: one sequence per slot. */
export interface LoadedModel {
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  /** Tokens per sequence. */
  contextSize: number;
  /** The context length the model was trained for (GGUF metadata). */
  trainContextSize: number;
  /** Renders chat turns with the model's own template; resolved once (it takes ~0.3 s). */
  chatWrapper: ChatWrapper;
  /**
   * Sequences not in use. All `slots` are taken from the context at load and handed out
   * here: a sequence given back keeps its tokens, so the next request reuses the common
   * prefix (a shared system prompt) instead of evaluating it again.
   */
  freeSequences: LlamaContextSequence[];
}

/** Bytes per millisecond assumed for a first load, before one has been measured. */
const ASSUMED_LOAD_BYTES_PER_MS = 500_000;

/**
 * One configured model: loads lazily on first use, serves `slots` sequences through a
 * SlotPool, and unloads after `idleUnloadMs` with nothing running or queued.
 */
export class ModelHost {
  readonly pool: SlotPool;
  private loading?: Promise<LoadedModel>;
  private current?: LoadedModel;
  private idleTimer?: NodeJS.Timeout;
  private lastLoadMs?: number;
  private fileBytes?: number;
  /** Times the model was loaded and unloaded, for tests and status displays. */
  loads = 0;
  unloads = 0;

  constructor(
    readonly spec: ResolvedModelSpec,
    private readonly llama: () => Promise<Llama>,
  ) {
    this.pool = new SlotPool(spec.slots, spec.maxQueue, `model '${spec.name}'`);
  }

  get loaded(): LoadedModel | undefined {
    return this.current;
  }

  /** Waits for a sequence slot (see SlotPool); the model is not loaded yet. */
  async lease(priority: number, signal: AbortSignal): Promise<void> {
    this.cancelIdleTimer();
    await this.pool.acquire(priority, signal);
    this.cancelIdleTimer();
  }

  release(): void {
    this.pool.release();
    this.scheduleIdleUnload();
  }

  /**
   * The loaded model, loading it if needed. `onLoading(expectedMs)` is called when this
   * call has to wait for a load; `loadMs` is then how long it waited.
   */
  async use(onLoading?: (expectedLoadMs: number) => void): Promise<{ loaded: LoadedModel; loadMs?: number }> {
    if (this.current) return { loaded: this.current };
    onLoading?.(this.expectedLoadMs());
    const started = performance.now();
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    const loaded = await this.loading;
    return { loaded, loadMs: performance.now() - started };
  }

  /** Frees the context and the model: when idle, or on close() (requests still running then fail). */
  async unload(): Promise<void> {
    this.cancelIdleTimer();
    const current = this.current ?? (await this.loading?.catch(() => undefined));
    this.current = undefined;
    if (!current) return;
    this.unloads++;
    await current.context.dispose();
    await current.model.dispose();
  }

  private async load(): Promise<LoadedModel> {
    const started = performance.now();
    try {
      this.fileBytes = (await stat(this.spec.path)).size;
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        throw new FlotillaError('modelNotFound', `model '${this.spec.name}': no GGUF file at ${this.spec.path}`, {
          cause: e,
          details: { model: this.spec.name, path: this.spec.path },
        });
      }
      throw e;
    }
    const llama = await this.llama();
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: this.spec.path, gpuLayers: 0 });
    } catch (e) {
      throw new FlotillaError('unavailable', `model '${this.spec.name}': cannot load ${this.spec.path}: ${(e as Error).message}`, {
        cause: e,
        retryable: false,
        details: { model: this.spec.name, path: this.spec.path },
      });
    }
    try {
      const trainContextSize = model.trainContextSize;
      const context = await model.createContext({
        contextSize: this.spec.contextSize ?? Math.min(trainContextSize, DEFAULT_MAX_CONTEXT),
        sequences: this.spec.slots,
        threads: this.spec.threads,
        ...(this.spec.batchSize === undefined ? {} : { batchSize: this.spec.batchSize }),
      });
      const { resolveChatWrapper } = await importNodeLlamaCpp();
      const chatWrapper = resolveChatWrapper(model);
      const freeSequences = Array.from({ length: this.spec.slots }, () => context.getSequence());
      this.current = { llama, model, context, contextSize: context.contextSize, trainContextSize, chatWrapper, freeSequences };
      this.loads++;
      this.lastLoadMs = performance.now() - started;
      this.scheduleIdleUnload();
      return this.current;
    } catch (e) {
      await model.dispose();
      throw new FlotillaError('unavailable', `model '${this.spec.name}': cannot create a context: ${(e as Error).message}`, {
        cause: e,
        details: { model: this.spec.name },
      });
    }
  }

  private expectedLoadMs(): number {
    return Math.round(this.lastLoadMs ?? 50 + (this.fileBytes ?? 0) / ASSUMED_LOAD_BYTES_PER_MS);
  }

  private scheduleIdleUnload(): void {
    this.cancelIdleTimer();
    if (!this.pool.idle || !this.current || !Number.isFinite(this.spec.idleUnloadMs)) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.pool.idle) void this.unload();
    }, this.spec.idleUnloadMs);
    this.idleTimer.unref();
  }

  private cancelIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
