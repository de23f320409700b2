import { type ChatCallOptions, type ChatEvent, type ChatRequest, type ContextWindowAware, type EmbeddingClient, type EmbeddingRequest, type EmbeddingResult, FlotillaError, type ModelClient, type RunnerOptions } from '@flotilla/core';
import type { ChatResponse, EmbedResponse, ListResponse, ShowResponse, VersionResponse } from 'ollama';
import { Observable } from 'rxjs';
import { ollamaChat } from './ollama-chat.stream';
import { DEFAULT_WARM_TIMEOUT_MS, type OllamaModelClientOptions, type ResolvedOllamaOptions, resolveOllamaOptions } from './ollama-client.options';
import { toFlotillaError } from './ollama-error.mapper';
import { OllamaHttp } from './ollama-http';
import { nsToMs } from './ollama-response.mapper';
import { type FetchLike, type NodeHttpFetch, createNodeHttpFetch, withRequestDeadline } from '@flotilla/http';

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
  /** Wall-clock deadline of the load. @default 300000 (Ollama's own load timeout) */
  timeoutMs?: number;
}

/**
 * `ModelClient` and `EmbeddingClient` for an Ollama server, over the official `ollama`
 * REST API (see `OllamaHttp` for why not through the `ollama` package). Streams by default;
 * every call gets its own AbortSignal through the transport, so unsubscribing closes the
 * connection and the server stops generating. Every call other than chat has a wall-clock
 * deadline of its own (`metadataTimeoutMs`, `embedTimeoutMs`, `WarmOptions.timeoutMs`).
 */
export class OllamaModelClient implements ModelClient, EmbeddingClient, ContextWindowAware {
  readonly name: string;
  private readonly config: ResolvedOllamaOptions;
  private readonly transport: FetchLike;
  /** The transport this client made, and so closes. */
  private readonly owned: NodeHttpFetch | undefined;
  private readonly http: OllamaHttp;
  /** Trained context lengths the server reported; failures are not remembered. */
  private readonly contextLengths = new Map<string, number | undefined>();
  /** Capabilities the server reported per model (/api/show); failures are not remembered. */
  private readonly capabilityLists = new Map<string, readonly string[] | undefined>();
  /** Capability lookups in flight: calls that start together ask the server once. */
  private readonly capabilityLookups = new Map<string, Promise<readonly string[] | undefined>>();
  private readonly toolCheck = (model: string, signal: AbortSignal) => this.checkTools(model, signal);

  constructor(options: OllamaModelClientOptions = {}) {
    this.config = resolveOllamaOptions(options);
    this.name = this.config.name;
    this.owned = options.fetch ? undefined : createNodeHttpFetch();
    this.transport = options.fetch ?? this.owned!;
    this.http = new OllamaHttp(this.config.host, this.config.headers, this.transport);
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
    return ollamaChat(this.http, this.config, request, options, this.toolCheck);
  }

  /** Destroys the connections this client keeps open (keep-alive); calls still running fail. */
  async close(): Promise<void> {
    this.owned?.close();
  }

  embed(request: EmbeddingRequest, options: { signal?: AbortSignal } = {}): Observable<EmbeddingResult> {
    return new Observable<EmbeddingResult>((subscriber) => {
      const controller = new AbortController();
      const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
      const started = performance.now();
      const keepAlive = request.keepAlive ?? this.config.keepAlive;
      const body = {
        model: request.model,
        input: request.input,
        ...(request.truncate === undefined ? {} : { truncate: request.truncate }),
        ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
        ...(keepAlive === undefined ? {} : { keep_alive: keepAlive }),
      };
      withRequestDeadline('/api/embed', this.config.embedTimeoutMs, signal, (s) => this.http.json<EmbedResponse>('POST', '/api/embed', body, s))
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
    const r = await this.metadata<ListResponse>('GET', '/api/tags', undefined, undefined, options.signal);
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
    const r = await this.metadata<ListResponse>('GET', '/api/ps', undefined, undefined, options.signal);
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
    const body = {
      model,
      messages: [],
      stream: false,
      ...(keepAlive === undefined ? {} : { keep_alive: keepAlive }),
      ...(options.numCtx === undefined ? {} : { options: { num_ctx: options.numCtx } }),
    };
    const r = await this.metadata<ChatResponse>('POST', '/api/chat', body, model, options.signal, options.timeoutMs ?? DEFAULT_WARM_TIMEOUT_MS);
    return { elapsedMs: performance.now() - started, unloaded: r.done_reason === 'unload' };
  }

  /** Server version (GET /api/version). */
  async version(options: { signal?: AbortSignal } = {}): Promise<string> {
    return (await this.metadata<VersionResponse>('GET', '/api/version', undefined, undefined, options.signal)).version;
  }

  /**
   * The context length the model was trained for (POST /api/show, model_info
   * `<family>.context_length`); undefined when the server does not say. Remembered per
   * model once the server answered; rejects (not remembered) when it could not be asked.
   * The window actually used is num_ctx (see `loadedModels()`).
   */
  async contextLength(model: string, options: { signal?: AbortSignal } = {}): Promise<number | undefined> {
    if (this.contextLengths.has(model)) return this.contextLengths.get(model);
    const r = await this.metadata<ShowResponse>('POST', '/api/show', { model }, model, options.signal);
    const info = (r.model_info ?? {}) as unknown as Record<string, unknown>;
    const key = Object.keys(info).find((k) => k.endsWith('.context_length'));
    const v = key === undefined ? undefined : info[key];
    const length = typeof v === 'number' ? v : undefined;
    this.contextLengths.set(model, length);
    return length;
  }

  /**
   * What the model can do (POST /api/show `capabilities`: "completion", "tools", "vision",
   * "embedding", "thinking", ...); undefined when the server does not say (older Ollama).
   * Remembered per model once the server answered; rejects (not remembered) when it could
   * not be asked within `metadataTimeoutMs`.
   */
  async capabilities(model: string, options: { signal?: AbortSignal } = {}): Promise<readonly string[] | undefined> {
    if (this.capabilityLists.has(model)) return this.capabilityLists.get(model);
    const r = await this.metadata<ShowResponse>('POST', '/api/show', { model }, model, options.signal);
    const list = (r as unknown as { capabilities?: unknown }).capabilities;
    const capabilities = Array.isArray(list) ? list.filter((c): c is string => typeof c === 'string') : undefined;
    this.capabilityLists.set(model, capabilities);
    return capabilities;
  }

  /**
   * Before a chat that sends tools: a model the server says lacks the "tools" capability is a
   * `badRequest` naming the model, not a reply in text. A lookup that fails is not remembered
   * and does not fail the call: the chat goes on and reports the server's own answer.
   */
  private async checkTools(model: string, signal: AbortSignal): Promise<void> {
    let capabilities: readonly string[] | undefined;
    if (this.capabilityLists.has(model)) capabilities = this.capabilityLists.get(model);
    else {
      let lookup = this.capabilityLookups.get(model);
      if (!lookup) {
        // Shared, so bounded by its own deadline only; each caller stops waiting when its signal aborts.
        lookup = this.capabilities(model);
        this.capabilityLookups.set(model, lookup);
        const done = () => this.capabilityLookups.delete(model);
        lookup.then(done, done);
      }
      try {
        capabilities = await untilAborted(lookup, signal);
      } catch {
        if (signal.aborted) throw signal.reason;
        return;
      }
    }
    if (capabilities === undefined || capabilities.includes('tools')) return;
    throw new FlotillaError(
      'badRequest',
      `model "${model}" at ${this.config.endpoint} does not support tools (its capabilities: ${capabilities.join(', ') || 'none'}); use a model with the "tools" capability, or an agent without tools`,
      { retryable: false, details: { model, endpoint: this.config.endpoint, capabilities: [...capabilities], unsupported: 'tools' } },
    );
  }

  /**
   * The window a request gets: its `numCtx`, else the server default (`defaultNumCtx`),
   * capped at the model's trained length. What Ollama would silently cut to. Rejects when
   * the server cannot be asked (`timeout`, `unavailable`) or lacks the model.
   */
  async contextWindow(model: string, options?: RunnerOptions, signal?: AbortSignal): Promise<number | undefined> {
    const trained = await this.contextLength(model, { signal });
    const asked = options?.numCtx ?? this.config.defaultNumCtx;
    return trained === undefined ? asked : Math.min(asked, trained);
  }

  /** One metadata call: the caller's signal and a wall-clock deadline (body included); errors mapped. */
  private async metadata<T>(method: 'GET' | 'POST', path: string, body: unknown, model: string | undefined, signal: AbortSignal | undefined, timeoutMs = this.config.metadataTimeoutMs): Promise<T> {
    try {
      return await withRequestDeadline(path, timeoutMs, signal, (s) => this.http.json<T>(method, path, body, s));
    } catch (e) {
      throw toFlotillaError(e, { model, endpoint: this.config.endpoint });
    }
  }
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
    );
  });
}
