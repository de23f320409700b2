import type { ChatCallOptions, ChatEvent, ChatRequest, ModelClient } from '@flotilla/core';
import { FlotillaError } from '@flotilla/core';
import type { Llama } from 'node-llama-cpp';
import { type Observable, Subject } from 'rxjs';
import { promptTokenCount, toChatHistory } from './chat-history.mapper';
import { offerableTools, offeredTools } from './offered-tools';
import { DEFAULT_MAX_CONTEXT, type LlamaCppModelClientOptions, type ResolvedLlamaCppOptions, resolveLlamaCppOptions } from './llama-cpp-client.options';
import { llamaCppChat } from './llama-cpp-chat.stream';
import type { LlamaCppEvent } from './llama-cpp.events';
import { type LoadedModel, ModelHost } from './model-host';
import { importNodeLlamaCpp, sharedLlama } from './node-llama-cpp.loader';
import { GrammarCache } from './structured-output';

/** One configured model, as `status()` reports it. */
export interface LlamaCppModelStatus {
  name: string;
  path: string;
  loaded: boolean;
  slots: number;
  /** Sequences generating now. */
  activeSequences: number;
  /** Sequences of the loaded context not in use (undefined when not loaded). */
  freeSequences?: number;
  queued: number;
  /** Tokens per sequence of the loaded context. */
  contextSize?: number;
  loads: number;
  unloads: number;
}

/**
 * `ModelClient` on llama.cpp inside this process (node-llama-cpp, CPU): no server at all.
 * Each configured GGUF model loads on first use with one context of `slots` sequences;
 * requests beyond the slots queue; an idle model unloads after `idleUnloadMs`.
 * `format` is enforced by a grammar and validated after parsing.
 */
export class LlamaCppModelClient implements ModelClient {
  readonly name: string;
  /** Where final events say the reply came from. */
  readonly endpoint = 'embedded';
  private readonly config: ResolvedLlamaCppOptions;
  private readonly hosts = new Map<string, ModelHost>();
  private readonly grammarCaches = new WeakMap<Llama, GrammarCache>();
  private readonly eventSubject = new Subject<LlamaCppEvent>();
  private ids = 0;
  private closed = false;

  constructor(options: LlamaCppModelClientOptions) {
    this.config = resolveLlamaCppOptions(options);
    this.name = this.config.name;
    const threads = Math.max(this.config.threads, ...[...this.config.models.values()].map((m) => m.threads));
    for (const spec of this.config.models.values()) this.hosts.set(spec.name, new ModelHost(spec, () => sharedLlama(threads)));
  }

  /** Request lifecycle: queued, started (holds a sequence), finished (sequence freed). */
  get events$(): Observable<LlamaCppEvent> {
    return this.eventSubject.asObservable();
  }

  /** Sequences generating now, over all models. */
  get activeSequences(): number {
    let n = 0;
    for (const h of this.hosts.values()) n += h.pool.active;
    return n;
  }

  chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent> {
    return llamaCppChat(
      {
        config: this.config,
        endpoint: this.endpoint,
        host: (model) => {
          if (this.closed) throw new FlotillaError('unavailable', `${this.name} is closed`, { retryable: false });
          return this.hosts.get(model);
        },
        grammars: (loaded) => this.grammarsFor(loaded),
        events: this.eventSubject,
        nextId: () => ++this.ids,
      },
      request,
      options,
    );
  }

  status(): LlamaCppModelStatus[] {
    return [...this.hosts.values()].map((h) => ({
      name: h.spec.name,
      path: h.spec.path,
      loaded: h.loaded !== undefined,
      slots: h.spec.slots,
      activeSequences: h.pool.active,
      queued: h.pool.queued,
      ...(h.loaded ? { freeSequences: h.loaded.freeSequences.length, contextSize: h.loaded.contextSize } : {}),
      loads: h.loads,
      unloads: h.unloads,
    }));
  }

  /**
   * The context length `model` was trained for, from its GGUF metadata (read without
   * loading the weights). Undefined when the file does not say.
   */
  async contextLength(model: string): Promise<number | undefined> {
    const host = this.host(model);
    if (host.loaded) return host.loaded.trainContextSize;
    const { readGgufFileInfo } = await importNodeLlamaCpp();
    try {
      const info = await readGgufFileInfo(host.spec.path, { readTensorInfo: false });
      const v = (info.architectureMetadata as { context_length?: unknown } | undefined)?.context_length;
      return typeof v === 'number' ? v : undefined;
    } catch (e) {
      throw new FlotillaError('modelNotFound', `model '${model}': cannot read GGUF metadata at ${host.spec.path}`, { cause: e });
    }
  }

  /**
   * Tokens a request to `model` may use, prompt and reply together: the loaded context's
   * size per sequence, else the size it will load with (configured, or the trained length
   * capped at DEFAULT_MAX_CONTEXT; llama.cpp may round it up). Undefined for an unknown model.
   * With `countPromptTokens` this lets the engine check prompts before sending them.
   */
  async contextWindow(model: string): Promise<number | undefined> {
    const host = this.hosts.get(model);
    if (!host) return undefined;
    if (host.loaded) return host.loaded.contextSize;
    if (host.spec.contextSize !== undefined) return host.spec.contextSize;
    const trained = await this.contextLength(model).catch(() => undefined);
    return trained === undefined ? undefined : Math.min(trained, DEFAULT_MAX_CONTEXT);
  }

  /** Exact prompt tokens of a request under the model's tokenizer and chat template, with the tools it offers (loads the model). */
  async countPromptTokens(request: Pick<ChatRequest, 'model' | 'messages' | 'tools' | 'toolChoice' | 'format'>): Promise<number> {
    const { loaded } = await this.host(request.model).use();
    // Offered unless an output format constrains the whole reply (a grammar of the client's own is not known here).
    const offered = request.format ? undefined : offerableTools(request);
    return promptTokenCount(loaded, toChatHistory(request.messages), offered ? offeredTools(offered).functions : undefined);
  }

  /** Loads `model` now (it still unloads when idle). Resolves with the load time, 0 if it was loaded. */
  async warm(model: string): Promise<{ loadMs: number }> {
    const { loadMs } = await this.host(model).use();
    return { loadMs: loadMs ?? 0 };
  }

  /** Unloads one model, or all; the next request loads again. */
  async unload(model?: string): Promise<void> {
    const hosts = model === undefined ? [...this.hosts.values()] : [this.host(model)];
    await Promise.all(hosts.map((h) => h.unload()));
  }

  /** Fails queued requests, unloads every model; later calls fail. */
  async close(): Promise<void> {
    this.closed = true;
    for (const h of this.hosts.values()) h.pool.rejectAll(new FlotillaError('unavailable', `${this.name} is closing`, { retryable: false }));
    await this.unload();
    this.eventSubject.complete();
  }

  private host(model: string): ModelHost {
    const host = this.hosts.get(model);
    if (!host) throw new FlotillaError('modelNotFound', `model '${model}' is not configured`, { details: { model } });
    return host;
  }

  private grammarsFor(loaded: LoadedModel): GrammarCache {
    let cache = this.grammarCaches.get(loaded.llama);
    if (!cache) {
      cache = new GrammarCache(loaded.llama);
      this.grammarCaches.set(loaded.llama, cache);
    }
    return cache;
  }
}
