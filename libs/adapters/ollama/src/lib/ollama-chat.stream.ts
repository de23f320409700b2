import { type ChatCallOptions, type ChatEvent, type ChatRequest, type ToolCall, abortableCall } from '@flotilla/core';
import type { ChatResponse } from 'ollama';
import type { Observable } from 'rxjs';
import { toFlotillaError } from './ollama-error.mapper';
import { type OllamaHttp, ndjson } from './ollama-http';
import { toOllamaChatRequest, toolChoiceWarnings } from './ollama-request.mapper';
import { finishReason, timingsOf, usageOf } from './ollama-response.mapper';
import type { ResolvedOllamaOptions } from './ollama-client.options';
import { TruncatedStreamError } from './ollama-wire.errors';

/**
 * One chat call as a cold Observable (`abortableCall`): each subscription gets its own
 * AbortController, wired into the transport, so unsubscribing or aborting
 * `options.signal` closes the socket and the server sees the client go away.
 */
export function ollamaChat(
  http: OllamaHttp,
  config: ResolvedOllamaOptions,
  request: ChatRequest,
  options: ChatCallOptions = {},
  checkTools?: (model: string, signal: AbortSignal) => Promise<void>,
): Observable<ChatEvent> {
  const ctx = { model: request.model, endpoint: config.endpoint, streaming: false };
  // `none` sends no tools (see toOllamaChatRequest): nothing to check then.
  const check = checkTools && request.tools?.length && request.toolChoice !== 'none' ? checkTools : undefined;
  return abortableCall<ChatEvent>(
    options.signal,
    async (signal, emit) => {
      if (check) await check(request.model, signal);
      if (signal.aborted) return;
      const started = performance.now();
      let firstTokenMs: number | undefined;
      const mark = () => (firstTokenMs ??= performance.now() - started);
      const body = toOllamaChatRequest(request, { keepAlive: config.keepAlive });
      let text = '';
      const calls: ToolCall[] = [];
      let final: ChatResponse | undefined;
      const take = (chunk: ChatResponse) => {
        const content = chunk.message?.content ?? '';
        if (content) {
          mark();
          text += content;
          emit({ type: 'delta', text: content });
        }
        for (const tc of chunk.message?.tool_calls ?? []) {
          mark();
          const call: ToolCall = { name: tc.function.name, arguments: tc.function.arguments ?? {} };
          calls.push(call);
          emit({ type: 'toolCall', call });
        }
        if (chunk.done) final = chunk;
      };
      if (config.stream) {
        const res = await http.send('POST', '/api/chat', { ...body, stream: true }, signal);
        ctx.streaming = true;
        for await (const chunk of ndjson<ChatResponse>(res)) {
          if (signal.aborted) return;
          take(chunk);
          if (final) break;
        }
      } else {
        take(await http.json<ChatResponse>('POST', '/api/chat', { ...body, stream: false }, signal));
      }
      if (signal.aborted) return;
      if (!final) throw new TruncatedStreamError();
      const warnings = toolChoiceWarnings(request);
      emit({
        type: 'final',
        message: { role: 'assistant', content: text, ...(calls.length ? { toolCalls: calls } : {}) },
        finishReason: finishReason(final.done_reason, calls.length > 0),
        usage: usageOf(final),
        timings: timingsOf(final, { firstTokenMs, totalMs: performance.now() - started }),
        model: request.model,
        endpoint: config.endpoint,
        ...(warnings.length ? { warnings } : {}),
      });
    },
    (error) => toFlotillaError(error, ctx),
  );
}
