import type { ChatCallOptions, ChatEvent, ChatRequest, ContextWindowAware, EmbeddingClient, EmbeddingRequest, EmbeddingResult, ModelClient, RunnerOptions } from '@flotilla/core';
import { Ollama } from 'ollama';
import { Observable } from 'rxjs';
import { ollamaChat } from './ollama-chat.stream';
import { type OllamaModelClientOptions, type ResolvedOllamaOptions, resolveOllamaOptions } from './ollama-client.options';
import { toFlotillaError } from './ollama-error.mapper';
import { nsToMs } from './ollama-response.mapper';
import { type FetchLike, createNodeHttpFetch, fetchWithSignal } from '@flotilla/http';

/** A model the server has (GET /api/tags). */
export interface OllamaModelInfo {
  name: string;
  sizeBytes: number;
  digest: string;
  family?: string;
  parameterSize?: string;
  quantization?: string;
}

/** A model loaded right now (GET /api/ps). */
export interface OllamaLoadedModel {
  name: string;
  sizeBytes: number;
  /** Bytes in GPU memory; less than `sizeBytes` means partly on CPU. */
  sizeVramBytes: number;
  /** When the server will unload it if idle. */
  expiresAt: Date;
  /** num_ctx it was loaded with, where the server reports it. */
  contextLength?: number;
}

export interface WarmOptions {
  /** How long to keep it loaded; 0 unloads. @default the client's or server's keep_alive */
  keepAlive?: number | string;
  /** Load with this context window (must match later calls, or they reload it). */
  numCtx?: number;
  signal?: AbortSignal;
}

/**
 * `ModelClient` and `EmbeddingClient` for an Ollama server, over the official `ollama`
 * client. Streams by default; every call gets its own AbortSignal through the transport,
 * so unsubscribing closes the connection and the server stops generating.
 */
export class OllamaModelClient implements ModelClient, EmbeddingClient, ContextWindowAware {
  readonly name: string;
  private readonly config: ResolvedOllamaOptions;
  private readonly transport: FetchLike;
  private readonly contextLengths = new Map<string, Promise<number | undefined>>();

  constructor(options: OllamaModelClientOptions = {}) {
    this.config = resolveOllamaOptions(options);
    this.name = this.config.name;
    this.transport = options.fetch ?? createNodeHttpFetch();
  }

  /** "host:port" of the server, as reported in final events. */
  get endpoint(): string {
    return this.config.endpoint;
  }

  /** Whether calls go through Node's built-in fetch (and so its 300 s headers timeout). */
  get usesBuiltinFetch(): boolean {
    return this.transport === globalThis.fetch;
  }

  chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent> {
    return ollamaChat((signal) => this.client(signal), this.config, request, options);
  }

  embed(request: EmbeddingRequest, options: { signal?: AbortSignal } = {}): Observable<EmbeddingResult> {
    return new Observable<EmbeddingResult>((subscriber) => {
      const controller = new AbortController();
      const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
      const started = performance.now();
      const keepAlive = request.keepAlive ?? this.config.keepAlive;
      this.client(signal)
        .embed({
          model: request.model,
          input: request.input,
          ...(request.truncate === undefined ? {} : { truncate: request.truncate }),
          ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
          ...(keepAlive === undefined ? {} : { keep_alive: keepAlive }),
        })
        .then((r) => {
          subscriber.next({
            embeddings: r.embeddings,
            model: request.model,
            promptTokens: r.prompt_eval_count || undefined,
            timings: { totalMs: performance.now() - started, loadMs: nsToMs(r.load_duration) },
            endpoint: this.config.endpoint,
          });
          subscriber.complete();
        })
        .catch((e: unknown) => subscriber.error(toFlotillaError(e, { model: request.model, endpoint: this.config.endpoint })));
      return () => controller.abort();
    });
  }

  /** Models the server has (GET /api/tags). */
  async listModels(options: { signal?: AbortSignal } = {}): Promise<OllamaModelInfo[]> {
    const r = await this.call(undefined, options.signal, (c) => c.list());
    return r.models.map((m) => ({
      name: m.name,
      sizeBytes: m.size,
      digest: m.digest,
      family: m.details?.family,
      parameterSize: m.details?.parameter_size,
      quantization: m.details?.quantization_level,
    }));
  }

  /** Models loaded now (GET /api/ps), latest expiry first. */
  async loadedModels(options: { signal?: AbortSignal } = {}): Promise<OllamaLoadedModel[]> {
    const r = await this.call(undefined, options.signal, (c) => c.ps());
    return r.models.map((m) => {
      const ctx = (m as unknown as { context_length?: unknown }).context_length;
      return {
        name: m.name,
        sizeBytes: m.size,
        sizeVramBytes: m.size_vram,
        expiresAt: new Date(m.expires_at),
        ...(typeof ctx === 'number' ? { contextLength: ctx } : {}),
      };
    });
  }

  /**
   * Loads a model without generating (an empty chat), or unloads it with `keepAlive: 0`.
   * Ollama reports no load time for this; `elapsedMs` is measured here, so for a cold
   * model it is about the load time (plus any wait for a free slot).
   */
  async warm(model: string, options: WarmOptions = {}): Promise<{ elapsedMs: number; unloaded: boolean }> {
    const keepAlive = options.keepAlive ?? this.config.keepAlive;
    const started = performance.now();
    const r = await this.call(model, options.signal, (c) =>
      c.chat({
        model,
        messages: [],
        stream: false,
        ...(keepAlive === undefined ? {} : { keep_alive: keepAlive }),
        ...(options.numCtx === undefined ? {} : { options: { num_ctx: options.numCtx } }),
      }),
    );
    return { elapsedMs: performance.now() - started, unloaded: r.done_reason === 'unload' };
  }

  /** Server version (GET /api/version). */
  async version(options: { signal?: AbortSignal } = {}): Promise<string> {
    return (await this.call(undefined, options.signal, (c) => c.version())).version;
  }

  /**
   * The context length the model was trained for (POST /api/show, model_info
   * `<family>.context_length`); undefined when the server does not say. Cached per model.
   * The window actually used is num_ctx (see `loadedModels()`).
   */
  contextLength(model: string): Promise<number | undefined> {
    let cached = this.contextLengths.get(model);
    if (!cached) {
      cached = this.call(model, undefined, (c) => c.show({ model })).then((r) => {
        const info = (r.model_info ?? {}) as unknown as Record<string, unknown>;
        const key = Object.keys(info).find((k) => k.endsWith('.context_length'));
        const v = key === undefined ? undefined : info[key];
        return typeof v === 'number' ? v : undefined;
      });
      cached.catch(() => this.contextLengths.delete(model));
      this.contextLengths.set(model, cached);
    }
    return cached;
  }

  /**
   * The window a request gets: its `numCtx`, else the server default (`defaultNumCtx`),
   * capped at the model's trained length. What Ollama would silently cut to.
   */
  async contextWindow(model: string, options?: RunnerOptions): Promise<number | undefined> {
    const trained = await this.contextLength(model).catch(() => undefined);
    const asked = options?.numCtx ?? this.config.defaultNumCtx;
    return trained === undefined ? asked : Math.min(asked, trained);
  }

  private client(signal: AbortSignal): Ollama {
    return new Ollama({ host: this.config.host, fetch: fetchWithSignal(this.transport, signal), headers: this.config.headers });
  }

  private async call<T>(model: string | undefined, signal: AbortSignal | undefined, fn: (c: Ollama) => Promise<T>): Promise<T> {
    try {
      return await fn(this.client(signal ?? new AbortController().signal));
    } catch (e) {
      throw toFlotillaError(e, { model, endpoint: this.config.endpoint });
    }
  }
}
