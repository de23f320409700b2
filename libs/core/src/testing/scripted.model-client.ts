import { Observable, type SchedulerLike, asyncScheduler } from 'rxjs';
import type { ChatEvent, FinalEvent } from '../lib/model/chat-event';
import type { ToolCall } from '../lib/model/chat-message';
import type { ChatCallOptions, ChatRequest } from '../lib/model/chat-request';
import type { ModelClient } from '../lib/model/model-client.interface';
import { FlotillaError } from '../lib/errors/flotilla-error';

/** One scripted reply: text in chunks with delays, or a failure, decided per request. */
export interface ScriptedReply {
  /** The reply text; split into `chunks` deltas. */
  text?: string;
  chunks?: number;
  /** Delay before the first delta (ms). */
  firstTokenDelayMs?: number;
  /** Delay between deltas (ms). */
  interTokenDelayMs?: number;
  /** Emit a `loading` event first, announcing this load time. */
  loadingMs?: number;
  /** Fail with this error after `failAfterChunks` deltas (0 = before any; capped at the number of chunks). */
  error?: FlotillaError;
  failAfterChunks?: number;
  /** Never answer (until unsubscribed). */
  hang?: boolean;
  usage?: { promptTokens: number; completionTokens: number };
  /** Tool calls of the reply (each a `toolCall` event, then in the final message). */
  toolCalls?: ToolCall[];
}

export type ScriptFn = (request: ChatRequest, callIndex: number) => ScriptedReply | string;

/**
 * A deterministic in-memory client for tests and benchmarks. Replies come from a script
 * function; with no delays it answers synchronously (an already-resolved reply).
 * Records each request and whether it was cancelled before finishing.
 */
export class ScriptedModelClient implements ModelClient {
  readonly name: string;
  readonly requests: { request: ChatRequest; options?: ChatCallOptions; cancelled: boolean; finished: boolean }[] = [];
  private calls = 0;
  private inFlightNow = 0;
  maxInFlight = 0;

  constructor(
    private readonly script: ScriptFn,
    private readonly options: { name?: string; scheduler?: SchedulerLike; record?: boolean } = {},
  ) {
    this.name = options.name ?? 'scripted';
  }

  get inFlight(): number {
    return this.inFlightNow;
  }

  chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent> {
    return new Observable<ChatEvent>((subscriber) => {
      const index = this.calls++;
      const scripted = this.script(request, index);
      const reply: ScriptedReply = typeof scripted === 'string' ? { text: scripted } : scripted;
      const record = this.options.record === false ? undefined : { request, options, cancelled: false, finished: false };
      if (record) this.requests.push(record);
      this.inFlightNow++;
      this.maxInFlight = Math.max(this.maxInFlight, this.inFlightNow);
      let open = true;
      const close = () => {
        if (open) {
          open = false;
          this.inFlightNow--;
        }
      };
      const text = reply.text ?? '';
      const final: FinalEvent = {
        type: 'final',
        message: reply.toolCalls ? { role: 'assistant', content: text, toolCalls: reply.toolCalls } : { role: 'assistant', content: text },
        finishReason: reply.toolCalls ? 'toolCalls' : 'stop',
        usage: reply.usage ?? { promptTokens: request.messages.length * 8, completionTokens: Math.max(1, text.length >> 2) },
        timings: {},
        model: request.model,
        endpoint: this.name,
      };
      const scheduler = this.options.scheduler ?? asyncScheduler;
      const noDelay = !reply.firstTokenDelayMs && !reply.interTokenDelayMs && !reply.hang && !reply.loadingMs;
      const chunks = splitText(text, reply.chunks ?? 1);
      const failAt = Math.min(reply.failAfterChunks ?? 0, chunks.length);
      if (noDelay) {
        // Synchronous: an already-resolved reply (or failure).
        for (let i = 0; i < (reply.error ? failAt : chunks.length); i++) subscriber.next({ type: 'delta', text: chunks[i]! });
        close();
        if (reply.error) {
          subscriber.error(reply.error);
          return;
        }
        if (reply.toolCalls) for (const call of reply.toolCalls) subscriber.next({ type: 'toolCall', call });
        subscriber.next(final);
        if (record) record.finished = true;
        subscriber.complete();
        return;
      }
      const startedAt = scheduler.now();
      let firstAt: number | undefined;
      let sent = 0;
      const step = (): void => {
        if (reply.error && sent === failAt) {
          close();
          subscriber.error(reply.error);
          return;
        }
        if (sent < chunks.length) {
          firstAt ??= scheduler.now();
          subscriber.next({ type: 'delta', text: chunks[sent++]! });
          subscriber.add(scheduler.schedule(step, reply.interTokenDelayMs ?? 0));
          return;
        }
        // Timed like a real adapter reports them: first token, generation, whole call.
        const end = scheduler.now();
        final.timings = { totalMs: end - startedAt, ...(firstAt === undefined ? {} : { firstTokenMs: firstAt - startedAt, evalMs: end - firstAt }) };
        if (reply.loadingMs) final.timings.loadMs = reply.loadingMs;
        if (reply.toolCalls) for (const call of reply.toolCalls) subscriber.next({ type: 'toolCall', call });
        subscriber.next(final);
        if (record) record.finished = true;
        close();
        subscriber.complete();
      };
      if (reply.loadingMs) subscriber.next({ type: 'loading', expectedLoadMs: reply.loadingMs });
      if (!reply.hang) subscriber.add(scheduler.schedule(step, (reply.loadingMs ?? 0) + (reply.firstTokenDelayMs ?? 0)));
      return () => {
        if (open && record) record.cancelled = true;
        close();
      };
    });
  }
}

function splitText(text: string, n: number): string[] {
  if (n <= 1 || text.length <= 1) return text ? [text] : [];
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}
