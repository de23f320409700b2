import {
  FlotillaError,
  type ChatCallOptions,
  type ChatEvent,
  type ChatRequest,
  type ContextWindowAware,
  type EmbeddingClient,
  type EmbeddingRequest,
  type EmbeddingResult,
  type ModelClient,
  abortableCall,
  estimatePromptTokens,
} from '@flotilla/core';
import OpenAI from 'openai';
import { withRequestDeadline } from '@flotilla/http';
import { type Observable, defer } from 'rxjs';
import { resolveOpenAIOptions, SDK_TIMEOUT_DISABLED_MS, type OpenAICompatibleOptions, type ResolvedOpenAIOptions } from './openai-compatible.options';
import { toChatParams } from './to-openai-request';
import { toFlotillaError, type ErrorContext } from './openai-error.mapper';
import { readChatStream } from './chat-stream.reader';
import {
  discoverContextLength,
  listModels,
  probeHealth,
  type InfoContext,
  type OpenAIModelInfo,
  type OpenAIServerHealth,
} from './server-info';

/**
 * A `ModelClient` (and `EmbeddingClient`) for servers that speak the OpenAI chat completions
 * API: vLLM, llama.cpp's server, Ollama's /v1, LM Studio. Streams with usage, sends the
 * output schema as strict `json_schema`, assembles streamed tool calls. The SDK neither
 * retries nor times out: retries and deadlines belong to the engine. See
 * docs/openai-compatible-servers.md for what differs between servers.
 */
export class OpenAICompatibleModelClient implements ModelClient, EmbeddingClient, ContextWindowAware {
  readonly name: string;
  // ES private fields: the key inside them stays out of JSON.stringify and util.inspect of the client.
  readonly #opts: ResolvedOpenAIOptions;
  readonly #sdk: OpenAI;
  readonly #info: InfoContext;
  /** Context lengths the server reported; failed lookups are not remembered. */
  readonly #contextLengths = new Map<string, number | undefined>();

  constructor(options: OpenAICompatibleOptions = {}) {
    this.#opts = resolveOpenAIOptions(options);
    this.name = this.#opts.name;
    this.#sdk = new OpenAI({
      baseURL: this.#opts.baseURL,
      apiKey: this.#opts.apiKey,
      maxRetries: 0,
      timeout: SDK_TIMEOUT_DISABLED_MS,
      defaultHeaders: { ...this.#opts.headers },
      // Failures reach callers as FlotillaErrors; the SDK's own logging could print request details.
      logLevel: 'off',
      ...(this.#opts.fetch ? { fetch: this.#opts.fetch } : {}),
    });
    this.#info = {
      sdk: this.#sdk,
      rootURL: this.#opts.baseURL.replace(/\/v1$/, ''),
      errors: this.#errorContext(),
      timeoutMs: this.#opts.metadataTimeoutMs,
    };
  }

  /** Destroys the connections this client keeps open (keep-alive); calls still running fail. */
  async close(): Promise<void> {
    this.#opts.ownedFetch?.close();
  }

  /** `host:port` of the server, as reported in final events and error details. */
  get endpoint(): string {
    return this.#opts.endpoint;
  }

  chat(request: ChatRequest, options: ChatCallOptions = {}): Observable<ChatEvent> {
    return this.cancellable<ChatEvent>(options.signal, request.model, async (signal, emit, ctx) => {
      const startedAt = performance.now();
      const { params, warnings } = toChatParams(request);
      const stream = await this.#sdk.chat.completions.create(params, { signal });
      ctx.phase = 'stream';
      const final = await readChatStream(stream, emit, signal, {
        model: request.model,
        endpoint: this.#opts.endpoint,
        startedAt,
        promptTokensEstimate: estimatePromptTokens(request),
      });
      // The SDK ends an aborted stream quietly; a caller's abort must not look like success.
      if (signal.aborted) throw signal.reason;
      if (final) emit(warnings.length ? { ...final, warnings } : final);
    });
  }

  /**
   * Embeddings over `POST /v1/embeddings` (floats requested explicitly). `truncate` and
   * `keepAlive` have no OpenAI field and are not sent; `dimensions` is.
   */
  embed(request: EmbeddingRequest, options: { signal?: AbortSignal } = {}): Observable<EmbeddingResult> {
    return this.cancellable<EmbeddingResult>(options.signal, request.model, async (signal, emit) => {
      const input = typeof request.input === 'string' ? [request.input] : request.input;
      const startedAt = performance.now();
      if (input.length === 0) {
        emit({ embeddings: [], model: request.model, timings: { totalMs: 0 }, endpoint: this.#opts.endpoint });
        return;
      }
      const body = {
        model: request.model,
        input,
        encoding_format: 'float' as const,
        ...(request.dimensions === undefined ? {} : { dimensions: request.dimensions }),
      };
      const res = await withRequestDeadline('/v1/embeddings', this.#opts.embedTimeoutMs, signal, (s) => this.#sdk.embeddings.create(body, { signal: s }));
      if (signal.aborted) throw signal.reason;
      const data = [...res.data].sort((a, b) => a.index - b.index);
      if (data.length !== input.length) {
        throw new FlotillaError('badOutput', `${this.#opts.endpoint}: ${data.length} embeddings for ${input.length} inputs`, {
          details: { model: request.model, endpoint: this.#opts.endpoint },
        });
      }
      emit({
        embeddings: data.map((d) => d.embedding),
        model: request.model,
        ...(typeof res.usage?.prompt_tokens === 'number' ? { promptTokens: res.usage.prompt_tokens } : {}),
        timings: { totalMs: performance.now() - startedAt },
        endpoint: this.#opts.endpoint,
      });
    });
  }

  /** `GET /v1/models`. */
  listModels(options: { signal?: AbortSignal } = {}): Promise<OpenAIModelInfo[]> {
    return listModels(this.#info, options.signal);
  }

  /** Probes `/health`, falling back to `/v1/models` where there is none; never throws. */
  health(options: { signal?: AbortSignal } = {}): Promise<OpenAIServerHealth> {
    return probeHealth(this.#info, options.signal);
  }

  /**
   * The context length of `model` in tokens: from `contextLength` in the options, else asked
   * from the server (see `discoverContextLength`) and remembered once it answered; undefined
   * when the server does not say. Rejects when the server cannot be asked (`timeout`,
   * `unavailable`); such a failure is not remembered.
   */
  async contextLength(model: string, options: { signal?: AbortSignal } = {}): Promise<number | undefined> {
    const configured = this.#opts.contextLength[model];
    if (configured !== undefined) return configured;
    if (!this.#opts.discoverContextLength) return undefined;
    if (this.#contextLengths.has(model)) return this.#contextLengths.get(model);
    const n = await discoverContextLength(this.#info, model, options.signal);
    if (n !== undefined) this.#contextLengths.set(model, n);
    return n;
  }

  /** The window of `model` (see `contextLength`): runner options do not travel over /v1. */
  contextWindow(model: string, _options?: unknown, signal?: AbortSignal): Promise<number | undefined> {
    return this.contextLength(model, { signal });
  }

  #errorContext(): Omit<ErrorContext, 'phase' | 'model'> {
    return { endpoint: this.#opts.endpoint, secret: this.#secret, apiKeyEnv: this.#opts.apiKeyEnv, missingV1: this.#opts.missingV1 };
  }

  get #secret(): string | undefined {
    return this.#opts.hasSecret ? this.#opts.apiKey : undefined;
  }

  /**
   * One request per subscription (`abortableCall`): unsubscribing aborts it (the connection
   * closes, the server sees the client go away), and so does the caller's signal (the stream
   * then fails with `aborted`). Errors are mapped to FlotillaErrors, knowing the phase.
   */
  private cancellable<T>(
    callerSignal: AbortSignal | undefined,
    model: string,
    work: (signal: AbortSignal, emit: (value: T) => void, ctx: ErrorContext) => Promise<void>,
  ): Observable<T> {
    return defer(() => {
      const ctx: ErrorContext = { ...this.#info.errors, model, phase: 'request' };
      return abortableCall<T>(callerSignal, (signal, emit) => work(signal, emit, ctx), (error) => toFlotillaError(error, ctx));
    });
  }
}
