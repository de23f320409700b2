import type { IncomingMessage, ServerResponse } from 'node:http';
import { type GenerationSink, planGeneration, runGeneration } from './generation.runner';
import { BadRequestError, readJsonBody, untilAborted } from './http-io';
import { parseKeepAlive } from './go-duration';
import type { SimModel } from './sim-model';
import { RequestGoneError, ServerBusyError } from './sim-scheduler.types';
import { type SimReplySpec, estimatePromptTokens, normaliseReply } from './sim-reply';
import type { Exchange, SimContext } from './sim-context';

/** A generation request, protocol-neutral. */
export interface ParsedGeneration {
  modelName: string;
  messages: { role: string; content: string }[];
  format?: unknown;
  tools?: unknown[];
  options: Record<string, unknown>;
  keepAlive?: unknown;
  stream: boolean;
}

/** What differs between /api/chat, /api/generate and /v1/chat/completions. */
export interface GenerationApi {
  readonly name: 'chat' | 'generate' | 'openai';
  /** Returns the parsed request or a 400 message. */
  parse(body: Record<string, unknown>): ParsedGeneration | string;
  sink(res: ServerResponse, model: SimModel, stream: boolean, ex: Exchange, request: ParsedGeneration): GenerationSink;
  error(res: ServerResponse, status: number, message: string): void;
  /** The answer to a load-only request (no messages / no prompt). */
  loadReply(res: ServerResponse, model: SimModel, reason: 'load' | 'unload', requested?: string): void;
}

/** Options that change how a runner is loaded; a difference forces a reload. */
const RUNNER_KEYS = ['num_ctx', 'num_batch', 'num_gpu', 'main_gpu', 'num_thread', 'use_mmap', 'use_mlock', 'low_vram', 'f16_kv', 'numa'];

export function runnerOptions(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of RUNNER_KEYS) if (options[k] !== undefined) out[k] = options[k];
  return out;
}

export async function serveGeneration(sim: SimContext, api: GenerationApi, req: IncomingMessage, res: ServerResponse, ex: Exchange): Promise<void> {
  let body: Record<string, unknown> | undefined;
  try {
    body = await readJsonBody(req);
  } catch (e) {
    if (e instanceof BadRequestError) return api.error(res, 400, e.message);
    throw e;
  }
  ex.record.body = body;
  if (!body) return api.error(res, 400, 'missing request body');
  const parsed = api.parse(body);
  if (typeof parsed === 'string') return api.error(res, 400, parsed);
  if (!parsed.modelName) return api.error(res, 400, 'model is required');
  ex.record.model = parsed.modelName;
  const keepAliveMs = parsed.keepAlive === undefined || parsed.keepAlive === null ? sim.defaultKeepAliveMs : parseKeepAlive(parsed.keepAlive);
  if (keepAliveMs === undefined) return api.error(res, 400, `time: missing unit in duration ${JSON.stringify(String(parsed.keepAlive))}`);
  const model = sim.findModel(parsed.modelName);
  if (!model) return api.error(res, 404, `model '${parsed.modelName}' not found`);
  if (parsed.tools?.length && !model.capabilities.includes('tools')) {
    return api.error(res, 400, `registry.ollama.ai/library/${model.name} does not support tools`);
  }
  if (!model.capabilities.includes('completion')) return api.error(res, 400, `"${model.name}" does not support ${api.name}`);

  const loadOnly = parsed.messages.length === 0;
  const reply: SimReplySpec = loadOnly
    ? {}
    : normaliseReply(
        sim.decideReply({
          api: api.name,
          model: model.name,
          messages: parsed.messages,
          format: parsed.format,
          tools: parsed.tools,
          options: parsed.options,
          body,
        }),
      );
  const fault = reply.fault;
  if (fault?.type === 'status') {
    ex.record.outcome = `status ${fault.status}`;
    return api.error(res, fault.status, fault.message ?? statusMessage(fault.status, parsed.modelName));
  }
  if (fault?.type === 'hang') {
    ex.record.outcome = 'hang';
    await untilAborted(ex.signal);
    return;
  }
  if (loadOnly && keepAliveMs === 0) {
    sim.scheduler.unloadIfIdle(model);
    ex.record.outcome = 'unload';
    return api.loadReply(res, model, 'unload', parsed.modelName);
  }

  let lease;
  try {
    lease = await sim.scheduler.acquire(model, runnerOptions(parsed.options), ex.signal);
  } catch (e) {
    if (e instanceof ServerBusyError) {
      ex.record.outcome = 'busy';
      return api.error(res, 503, e.message);
    }
    if (e instanceof RequestGoneError) {
      ex.record.outcome = 'gone while waiting';
      return api.error(res, 499, 'request canceled');
    }
    throw e;
  }
  if (loadOnly) {
    lease.release(keepAliveMs);
    ex.record.outcome = 'load';
    return api.loadReply(res, model, 'load', parsed.modelName);
  }
  sim.generationStarted();
  try {
    const plan = planGeneration(reply, Math.min(lease.numCtx, estimatePromptTokens(parsed.messages)), parsed.options);
    const sink = api.sink(res, model, parsed.stream, ex, parsed);
    const finished = await runGeneration(plan, model, { timeScale: sim.timeScale, receivedAt: ex.receivedPerf, loaded: lease.loadMs > 0 }, ex.signal, sink);
    if (fault && !finished && !ex.signal.aborted) ex.record.outcome = fault.type;
    else ex.record.outcome = finished ? 'reply' : 'cancelled';
  } finally {
    sim.generationEnded();
    lease.release(keepAliveMs);
  }
}

function statusMessage(status: number, model: string): string {
  switch (status) {
    case 404:
      return `model '${model}' not found`;
    case 503:
      return 'server busy, please try again.  maximum pending requests exceeded';
    case 400:
      return 'invalid request';
    default:
      return 'llama runner process has terminated: exit status 2';
  }
}
