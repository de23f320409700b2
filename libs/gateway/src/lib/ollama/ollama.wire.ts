import type { DeltaEvent, FinalEvent, FinishReason, ToolCallEvent } from '@flotilla/core';
import type { ChatWire, WireCall } from '../relay/chat-wire';

const DONE_REASON: Readonly<Record<FinishReason, string>> = { stop: 'stop', length: 'length', toolCalls: 'stop', load: 'load', unload: 'unload', other: 'stop' };

const line = (data: unknown) => `${JSON.stringify(data)}\n`;
const ns = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms * 1e6));

/** Ollama's metrics, in nanoseconds; unknown ones are left out (as Ollama omits zero ones). */
function metrics(final: FinalEvent): Record<string, unknown> {
  const t = final.timings;
  const out: Record<string, number | undefined> = {
    total_duration: ns(t.totalMs),
    load_duration: ns(t.loadMs),
    prompt_eval_count: final.usage.promptTokens,
    prompt_eval_duration: ns(t.promptEvalMs),
    eval_count: final.usage.completionTokens,
    eval_duration: ns(t.evalMs),
  };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

const created = () => new Date().toISOString();

/** Framing shared by /api/chat and /api/generate: they differ in where the text goes. */
function ollamaWire(kind: 'chat' | 'generate'): ChatWire {
  const text = (content: string, e?: ToolCallEvent) =>
    kind === 'chat' ? { message: { role: 'assistant', content, ...(e ? { tool_calls: [{ function: { name: e.call.name, arguments: e.call.arguments } }] } : {}) } } : { response: content };
  const whole = (final: FinalEvent, c: WireCall) => {
    const calls = final.message.toolCalls ?? [];
    const body =
      kind === 'chat'
        ? { message: { role: 'assistant', content: final.message.content, ...(calls.length ? { tool_calls: calls.map((t) => ({ function: { name: t.name, arguments: t.arguments } })) } : {}) } }
        : { response: final.message.content };
    return { model: c.model, created_at: created(), ...body, done: true, done_reason: DONE_REASON[final.finishReason], ...metrics(final) };
  };
  return {
    streamType: 'application/x-ndjson',
    // An empty piece: valid in Ollama's protocol, and every client adds nothing for it.
    heartbeat: (c) => line({ model: c.model, created_at: created(), ...text(''), done: false }),
    piece: (e: DeltaEvent | ToolCallEvent, c) => line({ model: c.model, created_at: created(), ...(e.type === 'delta' ? text(e.text) : text('', e)), done: false }),
    end(final, c) {
      return line({ model: c.model, created_at: created(), ...text(''), done: true, done_reason: DONE_REASON[final.finishReason], ...metrics(final) });
    },
    streamError: (error) => line({ error: error.message }),
    whole,
  };
}

export const ollamaChatWire = ollamaWire('chat');
export const ollamaGenerateWire = ollamaWire('generate');
