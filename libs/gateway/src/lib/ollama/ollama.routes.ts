import { requestError } from '../http/api-error';
import { Fields, NOT_CARRIED } from '../http/fields';
import type { RouteTable } from '../http/route-table';
import { embedOnFleet, fleetLoaded, fleetModels, showOnFleet } from '../fleet/fleet-views';
import { checkNumCtx } from '../relay/check-num-ctx';
import { relayChat } from '../relay/relay-chat';
import { ollamaChatRequest, ollamaGenerateRequest } from './ollama-request';
import { ollamaChatWire, ollamaGenerateWire } from './ollama.wire';

/** The Ollama version the gateway reports (clients check features against it). */
export const OLLAMA_API_VERSION = '0.12.6';

/** Ollama routes that manage a server's models: a gateway over a fleet answers them 501, naming the route. */
export const OLLAMA_MANAGEMENT_ROUTES: readonly string[] = ['/api/pull', '/api/push', '/api/delete', '/api/create', '/api/copy', '/api/blobs'];


const modelEntry = (name: string, endpoints: string[]) => ({
  name,
  model: name,
  modified_at: new Date(0).toISOString(),
  size: 0,
  digest: '',
  details: { parent_model: '', format: '', family: '', families: null, parameter_size: '', quantization_level: '' },
  endpoints,
});

/** The Ollama API: chat, generate, embed, tags, fleet-wide ps, show, version. */
export function addOllamaRoutes(table: RouteTable): RouteTable {
  return table
    .add('POST', '/api/chat', {
      dialect: 'ollama',
      body: true,
      handle(x, body) {
        const { request, stream } = ollamaChatRequest(body);
        checkNumCtx(x.router, request);
        return relayChat(x, { request, stream, wire: ollamaChatWire, dialect: 'ollama' });
      },
    })
    .add('POST', '/api/generate', {
      dialect: 'ollama',
      body: true,
      handle(x, body) {
        const { request, stream } = ollamaGenerateRequest(body);
        checkNumCtx(x.router, request);
        return relayChat(x, { request, stream, wire: ollamaGenerateWire, dialect: 'ollama' });
      },
    })
    .add('POST', '/api/embed', {
      dialect: 'ollama',
      body: true,
      async handle(x, body) {
        const f = new Fields(body);
        const model = f.requiredString('model');
        const input = f.raw('input');
        if (!(typeof input === 'string' || (Array.isArray(input) && input.every((s) => typeof s === 'string')))) throw requestError(400, 'input must be a string or an array of strings', 'input');
        const truncate = f.boolean('truncate');
        const dimensions = f.integer('dimensions');
        const keepAlive = f.raw('keep_alive') as number | string | undefined;
        f.refuseRest(NOT_CARRIED);
        x.allowModel(model);
        const r = await embedOnFleet(
          x.router,
          model,
          input,
          { ...(truncate === undefined ? {} : { truncate }), ...(dimensions === undefined ? {} : { dimensions }), ...(keepAlive === undefined ? {} : { keepAlive }) },
          x.options.embedTimeoutMs,
          x.signal,
        );
        if (r.endpoint) x.note({ endpoint: r.endpoint });
        x.json(200, {
          model,
          embeddings: r.embeddings,
          ...(r.timings.totalMs === undefined ? {} : { total_duration: Math.round(r.timings.totalMs * 1e6) }),
          ...(r.timings.loadMs === undefined ? {} : { load_duration: Math.round(r.timings.loadMs * 1e6) }),
          ...(r.promptTokens === undefined ? {} : { prompt_eval_count: r.promptTokens }),
        });
      },
    })
    .add('POST', '/api/embeddings', {
      dialect: 'ollama',
      body: true,
      async handle(x, body) {
        const f = new Fields(body);
        const model = f.requiredString('model');
        const prompt = f.string('prompt') ?? '';
        const keepAlive = f.raw('keep_alive') as number | string | undefined;
        f.refuseRest(NOT_CARRIED);
        x.allowModel(model);
        const r = await embedOnFleet(x.router, model, prompt, keepAlive === undefined ? {} : { keepAlive }, x.options.embedTimeoutMs, x.signal);
        x.json(200, { embedding: r.embeddings[0] ?? [] });
      },
    })
    .add('GET', '/api/tags', {
      dialect: 'ollama',
      body: false,
      handle(x) {
        const models = [...fleetModels(x.router).entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, endpoints]) => modelEntry(name, endpoints));
        x.json(200, { models });
      },
    })
    .add('GET', '/api/ps', {
      dialect: 'ollama',
      body: false,
      handle(x) {
        // One entry per endpoint that has the model loaded: `endpoint` says where.
        const models = fleetLoaded(x.router).map(({ model, endpoint }) => ({ ...modelEntry(model, [endpoint]), endpoint, expires_at: new Date(0).toISOString(), size_vram: 0 }));
        x.json(200, { models });
      },
    })
    .add('POST', '/api/show', {
      dialect: 'ollama',
      body: true,
      async handle(x, body, services) {
        const f = new Fields(body);
        const model = f.string('model') ?? f.requiredString('name');
        const r = await showOnFleet(x.router, services.http, model, body, x.options.metadataTimeoutMs, x.signal);
        x.json(r.status, r.body);
      },
    })
    .add('GET', '/api/version', {
      dialect: 'ollama',
      body: false,
      handle(x) {
        x.json(200, { version: OLLAMA_API_VERSION });
      },
    });
}
