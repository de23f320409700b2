import { OllamaModelClient } from '@flotilla/adapter-ollama';
import type { EndpointConfig } from '../../config/router-config.schema';
import type { EndpointClient, ListModelsContext, ListedModel } from '../endpoint-kind';

export function createOllamaEndpoint(e: EndpointConfig): EndpointClient {
  const client = new OllamaModelClient({ host: e.url!, name: `ollama:${e.name}` });
  return {
    client,
    probe: {
      listModels: async (signal) => (await client.listModels({ signal })).map((m) => m.name),
      loadedModels: async (signal) => (await client.loadedModels({ signal })).map((m) => m.name),
      warm: async (model, numCtx) => void (await client.warm(model, { numCtx })),
    },
    describe: () => `ollama at ${client.endpoint}`,
  };
}

/** /api/tags with sizes and quantization, /api/ps for what is loaded (and how). */
export async function listOllamaModels(e: EndpointConfig, { signal, timeoutMs }: ListModelsContext<unknown>): Promise<ListedModel[]> {
  const client = new OllamaModelClient({ host: e.url!, metadataTimeoutMs: timeoutMs });
  try {
    const [models, loaded] = await Promise.all([client.listModels({ signal }), client.loadedModels({ signal })]);
    const byName = new Map(loaded.map((l) => [l.name, l]));
    const entries: ListedModel[] = models.map((m) => {
      const l = byName.get(m.name);
      const bits = [m.parameterSize, m.quantization].filter(Boolean);
      if (l) bits.push(`loaded${l.contextLength ? `, num_ctx ${l.contextLength}` : ''}${l.sizeVramBytes < l.sizeBytes ? ', partly on CPU' : ''}, until ${l.expiresAt.toISOString()}`);
      return { name: m.name, loaded: Boolean(l), sizeBytes: m.sizeBytes, details: bits.join(', ') || undefined };
    });
    for (const l of loaded) if (!models.some((m) => m.name === l.name)) entries.push({ name: l.name, loaded: true, sizeBytes: l.sizeBytes });
    return entries;
  } finally {
    await client.close();
  }
}
