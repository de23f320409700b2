import type { ServerResponse } from 'node:http';
import type { GenerationApi } from './generation.handler';
import { sendJson } from './http-io';
import type { SimToolCall } from './sim-reply';
import type { SimContext } from './sim-context';
import { SseWriter } from './sse.writer';

const ERROR_TYPES: Readonly<Record<number, string>> = { 400: 'invalid_request_error', 404: 'not_found_error' };

function openaiError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { error: { message, type: ERROR_TYPES[status] ?? 'api_error', param: null, code: null } });
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((p) => (typeof p === 'object' && p !== null && (p as Record<string, unknown>)['type'] === 'text' ? String((p as Record<string, unknown>)['text'] ?? '') : '')).join('');
  }
  return '';
}

function openaiToolCalls(calls: SimToolCall[]): unknown[] {
  return calls.map((c, index) => ({ index, id: `call_${index}_${c.name}`, type: 'function', function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
}

const FINISH: Readonly<Record<string, string>> = { stop: 'stop', length: 'length' };

/** GET /v1/models */
export function openaiModels(sim: SimContext, res: ServerResponse): void {
  sendJson(res, 200, { object: 'list', data: sim.models().map((m) => ({ id: m.name, object: 'model', created: 1735689600, owned_by: 'library' })) });
}

/** POST /v1/chat/completions, as Ollama's OpenAI compatibility layer answers it. */
export const openaiChatApi: GenerationApi = {
  name: 'openai',
  parse(body) {
    if (!Array.isArray(body['messages'])) return "[] is too short - 'messages'";
    const messages = (body['messages'] as unknown[]).map((m) => {
      const r = (m ?? {}) as Record<string, unknown>;
      return { role: String(r['role'] ?? 'user'), content: textOf(r['content']) };
    });
    if (messages.length === 0) return "[] is too short - 'messages'";
    const rf = body['response_format'] as Record<string, unknown> | undefined;
    let format: unknown;
    if (rf?.['type'] === 'json_object') format = 'json';
    else if (rf?.['type'] === 'json_schema') format = (rf['json_schema'] as Record<string, unknown> | undefined)?.['schema'];
    const options: Record<string, unknown> = {};
    const map: [string, string][] = [
      ['temperature', 'temperature'],
      ['top_p', 'top_p'],
      ['seed', 'seed'],
      ['max_tokens', 'num_predict'],
      ['max_completion_tokens', 'num_predict'],
      ['frequency_penalty', 'frequency_penalty'],
      ['presence_penalty', 'presence_penalty'],
    ];
    for (const [from, to] of map) if (body[from] !== undefined && body[from] !== null) options[to] = body[from];
    if (typeof body['stop'] === 'string') options['stop'] = [body['stop']];
    else if (Array.isArray(body['stop'])) options['stop'] = body['stop'];
    return {
      modelName: typeof body['model'] === 'string' ? body['model'] : '',
      messages,
      format,
      tools: Array.isArray(body['tools']) ? (body['tools'] as unknown[]) : undefined,
      options,
      stream: body['stream'] === true,
    };
  },
  sink(res, _model, stream, ex, request) {
    const model = { name: request.modelName };
    const w = new SseWriter(res, ex);
    const id = `chatcmpl-${ex.record.id}`;
    const created = Math.floor(Date.now() / 1000);
    const body = ex.record.body ?? {};
    const includeUsage = (body['stream_options'] as Record<string, unknown> | undefined)?.['include_usage'] === true;
    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: model.name,
      system_fingerprint: 'fp_ollama',
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    let text = '';
    let calls: SimToolCall[] = [];
    return {
      piece(t) {
        text += t;
        if (stream) w.data(chunk({ role: 'assistant', content: t }, null));
      },
      toolCalls(c) {
        calls = c;
        if (stream) w.data(chunk({ role: 'assistant', content: '', tool_calls: openaiToolCalls(c) }, null));
      },
      final(stats) {
        const finish = calls.length ? 'tool_calls' : (FINISH[stats.doneReason] ?? 'stop');
        const usage = { prompt_tokens: stats.promptTokens, completion_tokens: stats.evalCount, total_tokens: stats.promptTokens + stats.evalCount };
        if (stream) {
          w.data(chunk({ role: 'assistant', content: '' }, finish));
          if (includeUsage) w.data({ id, object: 'chat.completion.chunk', created, model: model.name, system_fingerprint: 'fp_ollama', choices: [], usage });
          w.done();
          return;
        }
        ex.firstByte();
        sendJson(res, 200, {
          id,
          object: 'chat.completion',
          created,
          model: model.name,
          system_fingerprint: 'fp_ollama',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: text, ...(calls.length ? { tool_calls: openaiToolCalls(calls) } : {}) },
              finish_reason: finish,
            },
          ],
          usage,
        });
      },
      streamError(message) {
        if (stream) {
          w.data({ error: { message, type: 'api_error', param: null, code: null } });
          w.end();
        } else openaiError(res, 500, message);
      },
      malformed() {
        if (stream) w.raw('data: {"id": this is not json\n\n');
      },
      truncate() {
        if (stream) w.end();
        else {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"id":');
        }
      },
      drop() {
        w.drop();
      },
    };
  },
  error: openaiError,
  loadReply(res, model) {
    openaiError(res, 400, `no messages for ${model.name}`);
  },
};
