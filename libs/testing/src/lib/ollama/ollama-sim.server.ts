import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { serveGeneration } from './generation.handler';
import { parseKeepAlive } from './go-duration';
import { sendError, sendJson } from './http-io';
import { embed, ps, pull, show, tags } from './model.routes';
import { chatApi, generateApi } from './native.api';
import { openaiChatApi, openaiModels } from './openai-compat.api';
import { type SimModel, type SimModelSpec, normalizeModelName, resolveModel } from './sim-model';
import { type SimRequestRecord, isGenerationPath } from './sim-recorder';
import type { FaultRule, SimReply } from './sim-reply';
import type { OllamaSimOptions } from './ollama-sim.options';
import { ReplyPicker } from './reply-picker';
import { SimScheduler } from './sim-scheduler';
import type { SchedulerStats } from './sim-scheduler.types';
import type { Exchange, SimContext } from './sim-context';

/**
 * An Ollama-compatible HTTP server for tests and benchmarks: the native API, the /v1
 * OpenAI surface, a scheduler (loads, slots, keep-alive, eviction, load queue), scripted
 * deterministic replies and injected faults. Records every request it sees, including
 * whether the client disconnected before the response finished.
 */
export class OllamaSimServer {
  /** Every request seen, in arrival order. */
  readonly requests: SimRequestRecord[] = [];
  readonly scheduler: SimScheduler;
  private readonly server: Server;
  private readonly modelMap = new Map<string, SimModel>();
  private readonly replies: ReplyPicker;
  private readonly sockets = new Set<Socket>();
  private generations = 0;
  private nextRecordId = 0;
  private address?: string;
  private readonly ctx: SimContext;

  constructor(private readonly options: OllamaSimOptions = {}) {
    for (const m of options.models ?? ['llama3.2:1b']) this.addModel(m);
    this.replies = new ReplyPicker(options.script, options.faults ?? []);
    const timeScale = options.timeScale ?? 1;
    this.scheduler = new SimScheduler({
      numParallel: options.numParallel ?? 1,
      maxLoadedModels: options.maxLoadedModels ?? 3,
      maxQueue: options.maxQueue ?? 512,
      timeScale,
    });
    const defaultKeepAliveMs = parseKeepAlive(options.keepAlive ?? '5m');
    if (defaultKeepAliveMs === undefined) throw new Error(`OllamaSimServer: invalid keepAlive ${String(options.keepAlive)}`);
    this.ctx = {
      timeScale,
      defaultKeepAliveMs,
      scheduler: this.scheduler,
      version: options.version ?? '0.12.6',
      findModel: (name) => this.modelMap.get(normalizeModelName(name)),
      models: () => [...this.modelMap.values()],
      addModel: (name) => this.addModel(name),
      canPull: (name) => options.pullable?.(name) ?? true,
      decideReply: (c) => this.replies.pick(c, this.modelMap.get(c.model)?.script),
      generationStarted: () => this.generations++,
      generationEnded: () => this.generations--,
    };
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /** Listens and returns the base URL, e.g. "http://127.0.0.1:54321". */
  async start(): Promise<string> {
    if (this.address) return this.address;
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    this.address = `http://${a.address}:${a.port}`;
    return this.address;
  }

  get url(): string {
    if (!this.address) throw new Error('OllamaSimServer: not started');
    return this.address;
  }

  /** Stops listening and cuts every open connection. */
  async close(): Promise<void> {
    this.scheduler.close();
    for (const s of this.sockets) s.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  addModel(spec: string | SimModelSpec): SimModel {
    const m = resolveModel(spec);
    this.modelMap.set(m.name, m);
    return m;
  }

  removeModel(name: string): void {
    this.modelMap.delete(normalizeModelName(name));
  }

  /** The reply (or fault) for the next generation request, optionally only for one model. FIFO. */
  scriptNext(reply: SimReply, match: { model?: string } = {}): void {
    this.replies.enqueue(reply, match.model);
  }

  /** Adds a fault rule; returns a function that removes it. */
  addFaultRule(rule: FaultRule): () => void {
    return this.replies.addRule(rule);
  }

  /** Generations being produced right now (slots in use, not waiting requests). */
  get activeGenerations(): number {
    return this.generations;
  }

  get stats(): SchedulerStats {
    return { ...this.scheduler.stats };
  }

  /** Names of the models loaded now. */
  loadedModels(): string[] {
    return this.scheduler
      .loaded()
      .filter((r) => r.status === 'loaded')
      .map((r) => r.model.name);
  }

  /** Resolves once `predicate` holds (checked every 5 ms); rejects after `timeoutMs`. */
  async waitFor(predicate: (sim: this) => boolean, timeoutMs = 2000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() >= until) throw new Error(`OllamaSimServer.waitFor: condition not met within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Generation requests (/api/chat, /api/generate, /v1/chat/completions) seen so far. */
  generationRequests(): SimRequestRecord[] {
    return this.requests.filter((r) => isGenerationPath(r.path));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0]!;
    const { authorization, ...headers } = req.headers;
    const record: SimRequestRecord = {
      id: this.nextRecordId++,
      method: req.method ?? 'GET',
      path,
      headers,
      hadAuthorization: authorization !== undefined,
      receivedAt: Date.now(),
      clientDisconnected: false,
    };
    this.requests.push(record);
    const controller = new AbortController();
    let dropping = false;
    const ex: Exchange = {
      record,
      signal: controller.signal,
      receivedPerf: performance.now(),
      firstByte: () => {
        record.firstByteAt ??= Date.now();
      },
      serverDrop: () => {
        dropping = true;
      },
    };
    res.on('close', () => {
      record.finishedAt = Date.now();
      record.status = res.headersSent ? res.statusCode : undefined;
      if (!res.writableFinished && !dropping) record.clientDisconnected = true;
      controller.abort();
    });
    this.route(req, res, path, ex).catch((e: unknown) => {
      if (!res.headersSent) sendError(res, 500, e instanceof Error ? e.message : String(e));
      else res.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse, path: string, ex: Exchange): Promise<void> {
    const m = req.method ?? 'GET';
    const key = `${m === 'HEAD' ? 'GET' : m} ${path}`;
    switch (key) {
      case 'GET /':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 17 });
        return void res.end(m === 'HEAD' ? undefined : 'Ollama is running');
      case 'GET /api/version':
        return sendJson(res, 200, { version: this.ctx.version });
      case 'GET /api/tags':
        return tags(this.ctx, res);
      case 'GET /api/ps':
        return ps(this.ctx, res);
      case 'POST /api/show':
        return show(this.ctx, req, res, ex);
      case 'POST /api/chat':
        return serveGeneration(this.ctx, chatApi, req, res, ex);
      case 'POST /api/generate':
        return serveGeneration(this.ctx, generateApi, req, res, ex);
      case 'POST /api/embed':
        return embed(this.ctx, req, res, ex);
      case 'POST /api/pull':
        return pull(this.ctx, req, res, ex);
      case 'GET /v1/models':
        return openaiModels(this.ctx, res);
      case 'POST /v1/chat/completions':
        return serveGeneration(this.ctx, openaiChatApi, req, res, ex);
      default:
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('404 page not found');
    }
  }
}
