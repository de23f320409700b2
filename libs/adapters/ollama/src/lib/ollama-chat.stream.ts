import { type ChatCallOptions, type ChatEvent, type ChatRequest, Errors, type ToolCall } from '@flotilla/core';
import type { ChatResponse, Ollama } from 'ollama';
import { Observable } from 'rxjs';
import { toFlotillaError } from './ollama-error.mapper';
import { toOllamaChatRequest } from './ollama-request.mapper';
import { finishReason, timingsOf, usageOf } from './ollama-response.mapper';
import type { ResolvedOllamaOptions } from './ollama-client.options';

/** Makes an ollama client whose every request carries `signal`. */
export type OllamaFactory = (signal: AbortSignal) => Ollama;

/**
 * One chat call as a cold Observable. Each subscription gets its own AbortController,
 * wired into the transport: unsubscribing or aborting `options.signal` closes the socket.
 */
export function ollamaChat(
  makeClient: OllamaFactory,
  config: ResolvedOllamaOptions,
  request: ChatRequest,
  options: ChatCallOptions = {},
): Observable<ChatEvent> {
  return new Observable<ChatEvent>((subscriber) => {
    const controller = new AbortController();
    let open = true;
    const external = options.signal;
    const onExternalAbort = () => {
      if (!open) return;
      open = false;
      controller.abort(external?.reason);
      subscriber.error(Errors.aborted('model call', external?.reason));
    };
    if (external?.aborted) {
      onExternalAbort();
      return;
    }
    external?.addEventListener('abort', onExternalAbort, { once: true });

    const started = performance.now();
    let firstTokenMs: number | undefined;
    const mark = () => (firstTokenMs ??= performance.now() - started);
    const ctx = { model: request.model, endpoint: config.endpoint, streaming: false };
    const body = toOllamaChatRequest(request, { keepAlive: config.keepAlive });
    const client = makeClient(controller.signal);

    const run = async (): Promise<void> => {
      let text = '';
      const calls: ToolCall[] = [];
      let final: ChatResponse | undefined;
      const take = (chunk: ChatResponse) => {
        const content = chunk.message?.content ?? '';
        if (content) {
          mark();
          text += content;
          subscriber.next({ type: 'delta', text: content });
        }
        for (const tc of chunk.message?.tool_calls ?? []) {
          mark();
          const call: ToolCall = { name: tc.function.name, arguments: tc.function.arguments ?? {} };
          calls.push(call);
          subscriber.next({ type: 'toolCall', call });
        }
        if (chunk.done) final = chunk;
      };
      if (config.stream) {
        const stream = await client.chat({ ...body, stream: true });
        ctx.streaming = true;
        for await (const chunk of stream) {
          if (!open) return;
          take(chunk);
          if (final) break;
        }
      } else {
        take(await client.chat({ ...body, stream: false }));
      }
      if (!open) return;
      if (!final) throw new Error('Did not receive done or success response in stream.');
      subscriber.next({
        type: 'final',
        message: { role: 'assistant', content: text, ...(calls.length ? { toolCalls: calls } : {}) },
        finishReason: finishReason(final.done_reason, calls.length > 0),
        usage: usageOf(final),
        timings: timingsOf(final, { firstTokenMs, totalMs: performance.now() - started }),
        model: request.model,
        endpoint: config.endpoint,
      });
      open = false;
      subscriber.complete();
    };

    run().catch((error: unknown) => {
      if (!open) return;
      open = false;
      subscriber.error(toFlotillaError(error, ctx));
    });

    return () => {
      external?.removeEventListener('abort', onExternalAbort);
      if (open) {
        open = false;
        controller.abort();
      }
    };
  });
}
