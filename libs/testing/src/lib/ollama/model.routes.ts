import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BadRequestError, readJsonBody, sendError, sendJson, sleep, toNs } from './http-io';
import { parseKeepAlive } from './go-duration';
import { type SimModel, modelDetails } from './sim-model';
import { RequestGoneError, ServerBusyError } from './sim-scheduler.types';
import { NdjsonWriter } from './native.sinks';
import type { Exchange, SimContext } from './sim-context';

const MODIFIED_AT = '2025-01-01T00:00:00.000Z';
/** Ollama's "forever": now + the largest Go duration, which lands in 2318. */
const FOREVER = '2318-01-01T00:00:00.000Z';

export function tags(sim: SimContext, res: ServerResponse): void {
  sendJson(res, 200, {
    models: sim.models().map((m) => ({
      name: m.name,
      model: m.name,
      modified_at: MODIFIED_AT,
      size: m.size,
      digest: m.digest,
      details: modelDetails(m),
    })),
  });
}

export function ps(sim: SimContext, res: ServerResponse): void {
  const runners = sim.scheduler
    .loaded()
    .filter((r) => r.status === 'loaded')
    .sort((a, b) => b.expiresAt - a.expiresAt);
  sendJson(res, 200, {
    models: runners.map((r) => ({
      name: r.model.name,
      model: r.model.name,
      size: r.model.size,
      digest: r.model.digest,
      details: modelDetails(r.model),
      expires_at: Number.isFinite(r.expiresAt) ? new Date(r.expiresAt).toISOString() : FOREVER,
      size_vram: r.model.sizeVram,
      context_length: r.numCtx,
    })),
  });
}

async function body(req: IncomingMessage, res: ServerResponse, ex: Exchange): Promise<Record<string, unknown> | undefined> {
  try {
    const b = await readJsonBody(req);
    ex.record.body = b;
    if (!b) sendError(res, 400, 'missing request body');
    return b;
  } catch (e) {
    if (e instanceof BadRequestError) {
      sendError(res, 400, e.message);
      return undefined;
    }
    throw e;
  }
}

function modelOf(sim: SimContext, b: Record<string, unknown>, res: ServerResponse, ex: Exchange): SimModel | undefined {
  const name = typeof b['model'] === 'string' ? b['model'] : typeof b['name'] === 'string' ? b['name'] : '';
  ex.record.model = name || undefined;
  if (!name) {
    sendError(res, 400, 'model is required');
    return undefined;
  }
  const m = sim.findModel(name);
  if (!m) sendError(res, 404, `model '${name}' not found`);
  return m;
}

export async function show(sim: SimContext, req: IncomingMessage, res: ServerResponse, ex: Exchange): Promise<void> {
  const b = await body(req, res, ex);
  if (!b) return;
  const m = modelOf(sim, b, res, ex);
  if (!m) return;
  sendJson(res, 200, {
    modelfile: `FROM ${m.name}\n`,
    parameters: 'stop "<|end|>"',
    template: '{{ .Prompt }}',
    details: modelDetails(m),
    model_info: {
      'general.architecture': m.family,
      'general.parameter_count': Math.round(m.size / 0.6),
      [`${m.family}.context_length`]: m.contextLength,
      [`${m.family}.embedding_length`]: m.embeddingDims,
    },
    capabilities: m.capabilities,
    modified_at: MODIFIED_AT,
  });
}

/** A unit vector derived from the text: the same text always embeds the same way. */
export function embedVector(text: string, dims: number): number[] {
  const out: number[] = [];
  for (let i = 0; out.length < dims; i++) {
    const h = createHash('sha256').update(`${i}\n${text}`).digest();
    for (let j = 0; j + 1 < h.length && out.length < dims; j += 2) out.push(h.readUInt16BE(j) / 32767.5 - 1);
  }
  const norm = Math.hypot(...out) || 1;
  return out.map((v) => v / norm);
}

export async function embed(sim: SimContext, req: IncomingMessage, res: ServerResponse, ex: Exchange): Promise<void> {
  const b = await body(req, res, ex);
  if (!b) return;
  const m = modelOf(sim, b, res, ex);
  if (!m) return;
  const raw = b['input'] ?? b['prompt'];
  const inputs = typeof raw === 'string' ? [raw] : Array.isArray(raw) && raw.every((s) => typeof s === 'string') ? (raw as string[]) : undefined;
  if (!inputs) return sendError(res, 400, 'invalid input type');
  const keepAliveMs = b['keep_alive'] === undefined ? sim.defaultKeepAliveMs : parseKeepAlive(b['keep_alive']);
  if (keepAliveMs === undefined) return sendError(res, 400, `time: missing unit in duration ${JSON.stringify(String(b['keep_alive']))}`);
  const started = performance.now();
  let lease;
  try {
    lease = await sim.scheduler.acquire(m, {}, ex.signal);
  } catch (e) {
    if (e instanceof ServerBusyError) return sendError(res, 503, e.message);
    if (e instanceof RequestGoneError) return sendError(res, 499, 'request canceled');
    throw e;
  }
  const tokens = inputs.reduce((n, s) => n + Math.max(1, Math.ceil(s.length / 4)), 0);
  const evalMs = (tokens / m.promptTokensPerSec) * 1000;
  const ok = await sleep(evalMs * sim.timeScale, ex.signal);
  lease.release(keepAliveMs);
  if (!ok) return;
  const dims = typeof b['dimensions'] === 'number' && b['dimensions'] > 0 ? Math.min(b['dimensions'], m.embeddingDims) : m.embeddingDims;
  const loadMs = lease.loadMs > 0 ? m.loadMs : 0;
  const measured = sim.timeScale > 0 ? (performance.now() - started) / sim.timeScale : 0;
  sendJson(res, 200, {
    model: m.name,
    embeddings: inputs.map((s) => embedVector(s, dims)),
    total_duration: toNs(Math.max(measured, loadMs + evalMs)),
    ...(loadMs ? { load_duration: toNs(loadMs) } : {}),
    prompt_eval_count: tokens,
  });
}

export async function pull(sim: SimContext, req: IncomingMessage, res: ServerResponse, ex: Exchange): Promise<void> {
  const b = await body(req, res, ex);
  if (!b) return;
  const name = typeof b['model'] === 'string' ? b['model'] : typeof b['name'] === 'string' ? b['name'] : '';
  ex.record.model = name || undefined;
  if (!name) return sendError(res, 400, 'model is required');
  const stream = b['stream'] !== false;
  if (!sim.findModel(name) && !sim.canPull(name)) {
    const message = 'pull model manifest: file does not exist';
    if (!stream) return sendError(res, 500, message);
    const w = new NdjsonWriter(res, ex);
    w.line({ status: 'pulling manifest' });
    w.line({ error: message });
    return w.end();
  }
  const digest = `sha256:${createHash('sha256').update(name).digest('hex')}`;
  const total = 1_000_000;
  const steps = [{ status: 'pulling manifest' }, ...[0, 0.25, 0.5, 1].map((f) => ({ status: `pulling ${digest.slice(7, 19)}`, digest, total, completed: total * f }))];
  const w = new NdjsonWriter(res, ex);
  for (const step of steps) {
    if (!(await sleep(50 * sim.timeScale, ex.signal))) return;
    if (stream) w.line(step);
  }
  sim.addModel(name);
  const tail = [{ status: 'verifying sha256 digest' }, { status: 'writing manifest' }, { status: 'success' }];
  if (!stream) return sendJson(res, 200, { status: 'success' });
  for (const step of tail) w.line(step);
  w.end();
}
