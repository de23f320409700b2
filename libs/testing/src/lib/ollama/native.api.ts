import type { ServerResponse } from 'node:http';
import type { GenerationApi, ParsedGeneration } from './generation.handler';
import { sendError, sendJson } from './http-io';
import { nativeSink } from './native.sinks';

function common(body: Record<string, unknown>): Omit<ParsedGeneration, 'messages'> | string {
  const options = body['options'] ?? {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) return 'options must be an object';
  if (body['format'] !== undefined && body['format'] !== '' && body['format'] !== 'json' && (typeof body['format'] !== 'object' || body['format'] === null)) {
    return `invalid format: ${JSON.stringify(body['format'])}; expected "json" or a valid JSON Schema`;
  }
  return {
    modelName: typeof body['model'] === 'string' ? body['model'] : '',
    format: body['format'] === '' ? undefined : body['format'],
    tools: Array.isArray(body['tools']) ? (body['tools'] as unknown[]) : undefined,
    options: options as Record<string, unknown>,
    keepAlive: body['keep_alive'],
    stream: body['stream'] !== false,
  };
}

function loadReply(field: 'message' | 'response') {
  return (res: ServerResponse, model: { name: string }, reason: 'load' | 'unload', requested?: string) =>
    sendJson(res, 200, {
      model: requested ?? model.name,
      created_at: new Date().toISOString(),
      ...(field === 'message' ? { message: { role: 'assistant', content: '' } } : { response: '' }),
      done: true,
      done_reason: reason,
    });
}

/** POST /api/chat */
export const chatApi: GenerationApi = {
  name: 'chat',
  parse(body) {
    const c = common(body);
    if (typeof c === 'string') return c;
    const raw = body['messages'] ?? [];
    if (!Array.isArray(raw)) return 'messages must be an array';
    const messages: { role: string; content: string }[] = [];
    for (const m of raw as unknown[]) {
      if (typeof m !== 'object' || m === null) return 'invalid message';
      const { role, content } = m as Record<string, unknown>;
      if (typeof role !== 'string') return 'message role is required';
      messages.push({ role, content: typeof content === 'string' ? content : '' });
    }
    return { ...c, messages };
  },
  sink: (res, _model, stream, ex, request) => nativeSink(res, 'chat', request.modelName, stream, ex),
  error: sendError,
  loadReply: loadReply('message'),
};

/** POST /api/generate */
export const generateApi: GenerationApi = {
  name: 'generate',
  parse(body) {
    const c = common(body);
    if (typeof c === 'string') return c;
    const prompt = typeof body['prompt'] === 'string' ? body['prompt'] : '';
    const system = typeof body['system'] === 'string' ? body['system'] : '';
    const messages = prompt ? [...(system ? [{ role: 'system', content: system }] : []), { role: 'user', content: prompt }] : [];
    return { ...c, messages };
  },
  sink: (res, _model, stream, ex, request) => nativeSink(res, 'generate', request.modelName, stream, ex),
  error: sendError,
  loadReply: loadReply('response'),
};
