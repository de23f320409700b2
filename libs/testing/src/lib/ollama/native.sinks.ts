import type { ServerResponse } from 'node:http';
import type { GenerationPlan, GenerationSink, GenerationStats } from './generation.runner';
import { sendError, sendJson, toNs } from './http-io';
import type { SimToolCall } from './sim-reply';
import type { Exchange } from './sim-context';

/** Writes NDJSON lines, sending headers with the first one (as Ollama does: headers come with the first token). */
export class NdjsonWriter {
  constructor(
    private readonly res: ServerResponse,
    private readonly ex: Exchange,
  ) {}

  line(value: unknown): void {
    this.raw(`${JSON.stringify(value)}\n`);
  }

  raw(text: string): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    if (!this.res.headersSent) {
      this.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      this.ex.firstByte();
    }
    this.res.write(text);
  }

  end(): void {
    if (!this.res.headersSent) this.res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
    this.res.end();
  }

  drop(): void {
    this.ex.serverDrop();
    this.res.socket?.destroy();
  }
}

/** Final-chunk metrics, integer nanoseconds, zero values omitted. */
export function metrics(stats: GenerationStats): Record<string, number> {
  const out: Record<string, number> = {
    total_duration: toNs(stats.totalMs),
    load_duration: toNs(stats.loadMs),
    prompt_eval_count: stats.promptTokens,
    prompt_eval_duration: toNs(stats.promptEvalMs),
    eval_count: stats.evalCount,
    eval_duration: toNs(stats.evalMs),
  };
  for (const k of Object.keys(out)) if (!out[k]) delete out[k];
  return out;
}

export function wireToolCalls(calls: SimToolCall[]): unknown[] {
  return calls.map((c, index) => ({ function: { index, name: c.name, arguments: c.arguments } }));
}

type Shape = 'chat' | 'generate';

/** The native API's chunks for /api/chat and /api/generate, streamed or as one body. */
export function nativeSink(res: ServerResponse, shape: Shape, model: string, stream: boolean, ex: Exchange): GenerationSink {
  const w = new NdjsonWriter(res, ex);
  const head = () => ({ model, created_at: new Date().toISOString() });
  const body = (content: string, calls?: SimToolCall[]) =>
    shape === 'chat'
      ? { message: { role: 'assistant', content, ...(calls?.length ? { tool_calls: wireToolCalls(calls) } : {}) } }
      : { response: content };
  let text = '';
  let calls: SimToolCall[] = [];
  return {
    piece(t) {
      text += t;
      if (stream) w.line({ ...head(), ...body(t), done: false });
    },
    toolCalls(c) {
      calls = c;
      if (stream) w.line({ ...head(), ...body('', c), done: false });
    },
    final(stats: GenerationStats, plan: GenerationPlan) {
      const context = shape === 'generate' ? { context: Array.from({ length: Math.min(64, plan.promptTokens + plan.evalCount) }, (_, i) => i + 1) } : {};
      const final = { ...head(), ...body(stream ? '' : text, stream ? undefined : calls), done: true, done_reason: stats.doneReason, ...context, ...metrics(stats) };
      if (stream) {
        w.line(final);
        w.end();
      } else {
        ex.firstByte();
        sendJson(res, 200, final);
      }
    },
    streamError(message) {
      if (stream) {
        w.line({ error: message });
        w.end();
      } else sendError(res, 500, message);
    },
    malformed() {
      if (stream) w.raw('{"model": "oops", this is not json\n');
    },
    truncate() {
      if (stream) w.end();
      else {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"model":');
      }
    },
    drop() {
      w.drop();
    },
  };
}
