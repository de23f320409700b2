import { OpenAICompatibleModelClient } from '@flotilla/adapter-openai';
import type { EndpointConfig } from '../../config/router-config.schema';
import type { EndpointClient, EndpointContext, ListModelsContext, ListedModel } from '../endpoint-kind';

export function createOpenAIEndpoint(e: EndpointConfig, { env }: EndpointContext<unknown>): EndpointClient {
  const client = new OpenAICompatibleModelClient({ baseURL: e.url!, apiKeyEnv: e.apiKeyEnv, name: `openai:${e.name}`, env });
  // An OpenAI-compatible server serves what it lists, already loaded (llama-server, vLLM).
  const list = async (signal?: AbortSignal) => (await client.listModels({ signal })).map((m) => m.id);
  return { client, probe: { listModels: list, loadedModels: list }, describe: () => `openai-compatible server at ${client.endpoint}` };
}

/** /v1/models, with the key of this endpoint's own apiKeyEnv (never another endpoint's). */
export async function listOpenAIModels(e: EndpointConfig, { env, signal, timeoutMs }: ListModelsContext<unknown>): Promise<ListedModel[]> {
  const client = new OpenAICompatibleModelClient({ baseURL: e.url!, apiKeyEnv: e.apiKeyEnv, env, metadataTimeoutMs: timeoutMs });
  try {
    const models = await client.listModels({ signal });
    return models.map((m) => ({ name: m.id, loaded: false, details: m.contextLength ? `context ${m.contextLength}` : undefined }));
  } finally {
    await client.close();
  }
}
