import { requestError } from '../http/api-error';
import { Fields, NOT_CARRIED } from '../http/fields';
import type { RouteTable } from '../http/route-table';
import { embedOnFleet, fleetModels } from '../fleet/fleet-views';
import { relayChat } from '../relay/relay-chat';
import { checkNumCtx } from '../relay/check-num-ctx';
import { openaiChatRequest, providerExtras, samplingOptions, streamFields } from './openai-request';
import { openaiChatWire, openaiCompletionWire } from './openai.wire';


/** The OpenAI-compatible API: chat, legacy completions, embeddings, models. */
export function addOpenAIRoutes(table: RouteTable): RouteTable {
  return table
    .add('POST', '/v1/chat/completions', {
      dialect: 'openai',
      body: true,
      handle(x, body) {
        const { request, stream, includeUsage } = openaiChatRequest(body);
        checkNumCtx(x.router, request);
        return relayChat(x, { request, stream, includeUsage, wire: openaiChatWire, dialect: 'openai' });
      },
    })
    .add('POST', '/v1/completions', {
      dialect: 'openai',
      body: true,
      handle(x, body) {
        const f = new Fields(body);
        const model = f.requiredString('model');
        const prompt = f.raw('prompt');
        const text = typeof prompt === 'string' ? prompt : Array.isArray(prompt) && prompt.length === 1 && typeof prompt[0] === 'string' ? prompt[0] : undefined;
        if (text === undefined) throw requestError(400, 'prompt must be a string (or an array of one string)', 'prompt');
        if (f.has('suffix')) throw requestError(400, 'suffix is not supported: fill-in-the-middle needs the model\'s own template; no backend call carries it', 'suffix');
        f.onlyDefault('echo', [false], NOT_CARRIED);
        f.onlyDefault('n', [1], 'one choice per request');
        f.onlyDefault('best_of', [1], 'one choice per request');
        const { stream, includeUsage } = streamFields(f);
        const request = { model, messages: [{ role: 'user' as const, content: text }], options: samplingOptions(f) };
        providerExtras(f, request);
        f.refuseRest(NOT_CARRIED);
        return relayChat(x, { request, stream, includeUsage, wire: openaiCompletionWire, dialect: 'openai' });
      },
    })
    .add('POST', '/v1/embeddings', {
      dialect: 'openai',
      body: true,
      async handle(x, body) {
        const f = new Fields(body);
        const model = f.requiredString('model');
        const input = f.raw('input');
        if (!(typeof input === 'string' || (Array.isArray(input) && input.length > 0 && input.every((s) => typeof s === 'string')))) {
          throw requestError(400, 'input must be a string or a non-empty array of strings (token arrays are not supported)', 'input');
        }
        const encoding = f.string('encoding_format') ?? 'float';
        if (encoding !== 'float' && encoding !== 'base64') throw requestError(400, 'encoding_format must be "float" or "base64"', 'encoding_format');
        const dimensions = f.integer('dimensions');
        f.refuseRest(NOT_CARRIED);
        x.allowModel(model);
        const result = await embedOnFleet(x.router, model, input, dimensions === undefined ? {} : { dimensions }, x.options.embedTimeoutMs, x.signal);
        if (result.endpoint) x.note({ endpoint: result.endpoint });
        const tokens = result.promptTokens ?? 0;
        x.json(200, {
          object: 'list',
          data: result.embeddings.map((v, index) => ({ object: 'embedding', index, embedding: encoding === 'base64' ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v })),
          model,
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        });
      },
    })
    .add('GET', '/v1/models', {
      dialect: 'openai',
      body: false,
      handle(x) {
        const data = [...fleetModels(x.router).keys()].sort().map((id) => ({ id, object: 'model', created: 0, owned_by: 'flotilla' }));
        x.json(200, { object: 'list', data });
      },
    });
}

