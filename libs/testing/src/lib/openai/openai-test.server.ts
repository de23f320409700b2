import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpExchange } from './http-exchange';
import { toolTurnsProblem } from './tool-turns.check';
import { SlotPool } from './slot-pool';
import type { RecordedRequest } from './request-record';
import { faultFromText, normaliseFault, type OpenAIFault, type OpenAIFaultRule } from './openai-fault';
import { FaultRules } from './fault-rules';
import { waitUntil } from './wait-until';
import type { OpenAIScriptedReply } from './openai-scripted-reply';
import {
  DEFAULT_CHUNK_CHARS,
  DEFAULT_CONTEXT_LENGTH,
  DEFAULT_LATENCY,
  DEFAULT_MODEL_ID,
  DEFAULT_SLOTS,
  type OpenAILatencyModel,
  type OpenAITestModel,
  type OpenAITestServerOptions,
} from './openai-server.options';
import { contextOverflowBody, errorBody } from './openai-error-body';
import { planReply, promptTokenCount, textOf, type ChatCompletionBody } from './chat-reply.planner';
import { writeChatJson, writeChatStream } from './chat-completion.writer';
import { writeEmbeddings } from './embeddings.writer';

const STATUS_FAULTS: Record<string, number> = { http400: 400, http404: 404, http429: 429, http500: 500, http503: 503 };

/**
 * An OpenAI-compatible server for tests, speaking the wire format of vLLM and llama.cpp's
 * server on 127.0.0.1: `/v1/chat/completions` (SSE and JSON), `/v1/embeddings`, `/v1/models`,
 * `/health`, `/props`. Slots, a scaled latency model, per-model context sizes, scripted faults,
 * and a record of every request and client disconnect.
 */
export class OpenAITestServer {
  private server?: Server;
  private readonly models: Map<string, OpenAITestModel>;
  private readonly slots: SlotPool;
  private readonly latency: Required<OpenAILatencyModel>;
  private readonly faults: FaultRules;
  private readonly listeners = new Set<() => void>();
  private readonly recorded: RecordedRequest[] = [];
  private loading = false;
  private chatCount = 0;
  private rootUrl?: string;

  constructor(private readonly options: OpenAITestServerOptions = {}) {
    const models = (options.models ?? [DEFAULT_MODEL_ID]).map((m) => (typeof m === 'string' ? { id: m } : m));
    this.models = new Map(models.map((m) => [m.id, m]));
    this.slots = new SlotPool(options.slots ?? DEFAULT_SLOTS);
    this.latency = { ...DEFAULT_LATENCY, ...options.latency };
    this.faults = new FaultRules(options.faults);
  }

  /** Listens on 127.0.0.1 and resolves with the root URL, e.g. `http://127.0.0.1:40123`. */
  async start(): Promise<string> {
    if (this.rootUrl) return this.rootUrl;
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.rootUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.rootUrl;
  }

  /** The root URL; `start()` first. */
  get url(): string {
    if (!this.rootUrl) throw new Error('OpenAITestServer: start() first');
    return this.rootUrl;
  }

  /** The URL to give an OpenAI client as `baseURL` (`<url>/v1`). */
  get baseURL(): string {
    return `${this.url}/v1`;
  }

  /** Closes every connection (hung and streaming ones too) and stops listening. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.rootUrl = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Every request so far, in arrival order. */
  get requests(): readonly RecordedRequest[] {
    return this.recorded;
  }

  /** Requests whose client went away before the response was finished. */
  get disconnects(): readonly RecordedRequest[] {
    return this.recorded.filter((r) => r.clientDisconnected);
  }

  /** Slot use: held now, waiting now, and the most held at once. */
  get slotStats(): { inUse: number; queued: number; maxInUse: number } {
    return { inUse: this.slots.inUse, queued: this.slots.queued, maxInUse: this.slots.maxActive };
  }

  /** Forgets recorded requests (not faults). */
  clearRequests(): void {
    this.recorded.length = 0;
  }

  /** Adds a fault rule, checked before configured ones; returns a function that removes it. */
  injectFault(rule: OpenAIFaultRule): () => void {
    return this.faults.add(rule);
  }

  /** Scripts the answer to the next chat request (for `reply.model` only, when set); one-shot, first in first out. */
  scriptNext(reply: OpenAIScriptedReply): void {
    this.faults.script(reply);
  }

  /** Removes fault rules (configured ones too) and pending scripts. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Chat completion requests so far. */
  get chatRequests(): readonly RecordedRequest[] {
    return this.recorded.filter((r) => r.path === '/v1/chat/completions');
  }

  /** While loading, `/health` and generation answer 503 as llama.cpp does during a model load. */
  setLoading(loading: boolean): void {
    this.loading = loading;
  }

  /**
   * Resolves once `predicate` holds, re-checked on every request event and every 5 ms;
   * rejects after `timeoutMs`.
   */
  waitFor(predicate: (server: this) => boolean, timeoutMs = 2000): Promise<void> {
    return waitUntil(() => predicate(this), timeoutMs, this.listeners, 'OpenAITestServer.waitFor');
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const { authorization, ...headers } = req.headers;
    const record: RecordedRequest = {
      id: this.recorded.length + 1,
      method: req.method ?? 'GET',
      path,
      headers,
      hadAuthorization: authorization !== undefined,
      body: undefined,
      completed: false,
      clientDisconnected: false,
      queued: false,
    };
    this.recorded.push(record);
    const ex = new HttpExchange(res, record, this.options.timeScale ?? 1, () => this.changed());
    const text = await readBody(req);
    if (text) {
      try {
        record.body = JSON.parse(text);
      } catch {
        record.body = text;
      }
    }
    this.changed();
    try {
      await this.route(ex, path, authorization);
    } catch (error) {
      ex.json(500, errorBody(500, `test server failure: ${String(error)}`));
    }
  }

  private async route(ex: HttpExchange, path: string, authorization: string | undefined): Promise<void> {
    const method = ex.record.method;
    if (method === 'GET' && (path === '/health' || path === '/v1/health')) {
      return this.loading ? ex.json(503, errorBody(503, 'Loading model', 'unavailable_error')) : ex.json(200, { status: 'ok' });
    }
    if (method === 'GET' && path === '/props') return ex.json(200, this.props());
    if (path.startsWith('/v1/') && !this.authorised(ex, authorization)) return;
    if (method === 'GET' && path === '/v1/models') return ex.json(200, this.modelList());
    if (method === 'POST' && path === '/v1/chat/completions') return this.chat(ex);
    if (method === 'POST' && path === '/v1/embeddings') return this.embeddings(ex);
    ex.json(404, errorBody(404, `File Not Found: ${method} ${path}`));
  }

  private authorised(ex: HttpExchange, authorization: string | undefined): boolean {
    const key = this.options.apiKey;
    if (key === undefined || authorization === `Bearer ${key}`) return true;
    const presented = authorization?.replace(/^Bearer /, '') ?? '';
    const message = this.options.echoApiKeyInErrors ? `Invalid API Key: ${presented}` : 'Invalid API Key';
    ex.json(401, errorBody(401, message, 'authentication_error'));
    return false;
  }

  private async chat(ex: HttpExchange): Promise<void> {
    const body = (typeof ex.record.body === 'object' && ex.record.body !== null ? ex.record.body : {}) as ChatCompletionBody;
    if (!Array.isArray(body.messages)) return ex.json(400, errorBody(400, "'messages' must be an array", 'invalid_request_error'));
    const model = this.resolveModel(ex, body.model);
    if (!model) return;
    const toolProblem = toolTurnsProblem(body);
    if (toolProblem) return ex.json(400, errorBody(400, toolProblem, 'invalid_request_error'));
    const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
    const script = this.faults.takeScript(model.id);
    const scriptedFault = script?.fault === undefined ? undefined : normaliseFault(script.fault);
    const fault = scriptedFault ?? this.faults.match(ex.record.path, model.id) ?? faultFromText(textOf(lastUser?.content));
    if (fault) ex.record.fault = fault.name;
    if (this.respondedWithEarlyFault(ex, fault, script?.message)) return;
    const contextLength = model.contextLength ?? DEFAULT_CONTEXT_LENGTH;
    const promptTokens = promptTokenCount(body);
    if (fault?.name === 'contextOverflow' || promptTokens > contextLength) {
      return ex.json(400, contextOverflowBody(Math.max(promptTokens, contextLength + 1), contextLength));
    }
    if (fault?.name === 'hang') return ex.untilClosed();
    ex.record.queued = this.slots.full;
    const slot = this.slots.acquire();
    ex.res.on('close', slot.cancel);
    await slot.ready;
    try {
      if (ex.closed) return;
      await ex.sleep(this.latency.firstTokenMs + this.latency.promptTokenMs * promptTokens);
      if (ex.closed) return;
      const number = ++this.chatCount;
      const plan = planReply(body, model, this.options.chunkChars ?? DEFAULT_CHUNK_CHARS, number, script);
      const ctx = {
        id: `chatcmpl-${number}`,
        model: model.id,
        created: Math.floor(Date.now() / 1000),
        includeUsage: body.stream_options?.include_usage === true,
        fault,
        latency: this.latency,
        realIntervalMs: script?.intervalMs,
        errorMessage: script?.message,
      };
      await (body.stream === true ? writeChatStream(ex, plan, ctx) : writeChatJson(ex, plan, ctx));
    } finally {
      slot.cancel();
    }
  }

  private async embeddings(ex: HttpExchange): Promise<void> {
    const body = (ex.record.body ?? {}) as { model?: string; input?: unknown; encoding_format?: string };
    const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : undefined;
    if (!inputs || inputs.some((i) => typeof i !== 'string')) {
      return ex.json(400, errorBody(400, "'input' must be a string or an array of strings", 'invalid_request_error'));
    }
    const model = this.resolveModel(ex, body.model);
    if (!model) return;
    const fault = this.faults.match(ex.record.path, model.id) ?? faultFromText((inputs as string[]).join(' '));
    if (fault) ex.record.fault = fault.name;
    if (this.respondedWithEarlyFault(ex, fault)) return;
    if (fault?.name === 'hang') return ex.untilClosed();
    if (fault?.name === 'dropMidStream') return ex.drop();
    await writeEmbeddings(ex, model, inputs as string[], {
      base64: body.encoding_format === 'base64',
      forceOverflow: fault?.name === 'contextOverflow',
      delayMs: this.latency.firstTokenMs,
    });
  }

  private resolveModel(ex: HttpExchange, id: unknown): OpenAITestModel | undefined {
    if (typeof id !== 'string' || id === '') {
      ex.json(400, errorBody(400, "'model' is required", 'invalid_request_error'));
      return undefined;
    }
    const model = this.models.get(id);
    if (!model) ex.json(404, errorBody(404, `The model '${id}' does not exist.`, 'not_found_error'));
    return model;
  }

  /** Status faults, and the 503 of a loading server, answer before any slot is taken. */
  private respondedWithEarlyFault(ex: HttpExchange, fault: OpenAIFault | undefined, message?: string): boolean {
    if (this.loading) {
      ex.json(503, errorBody(503, 'Loading model', 'unavailable_error'));
      return true;
    }
    const status = fault ? STATUS_FAULTS[fault.name] : undefined;
    if (status === undefined) return false;
    const text = message ?? (status === 404 ? 'model not found (injected)' : `injected ${fault!.name}`);
    ex.json(status, errorBody(status, text));
    return true;
  }

  private modelList(): Record<string, unknown> {
    return {
      object: 'list',
      data: [...this.models.values()].map((m) => ({
        id: m.id,
        object: 'model',
        created: 0,
        owned_by: 'flotilla-test',
        max_model_len: m.contextLength ?? DEFAULT_CONTEXT_LENGTH,
      })),
    };
  }

  /** llama.cpp's `/props`, describing the first model (llama.cpp serves one model). */
  private props(): Record<string, unknown> {
    const first = [...this.models.values()][0];
    return {
      default_generation_settings: { n_ctx: first?.contextLength ?? DEFAULT_CONTEXT_LENGTH },
      total_slots: this.options.slots ?? DEFAULT_SLOTS,
      model_path: first?.id,
    };
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', () => resolve(Buffer.concat(parts).toString('utf8')));
  });
}
