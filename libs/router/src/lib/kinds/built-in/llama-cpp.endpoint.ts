import { LlamaCppModelClient } from '@flotilla/adapter-llama-cpp';
import type { EndpointConfig } from '../../config/router-config.schema';
import type { EndpointClient, ListedModel } from '../endpoint-kind';

export function createLlamaCppEndpoint(e: EndpointConfig): EndpointClient {
  // Models live in this process: the client's close() frees them.
  const client = new LlamaCppModelClient({ models: e.modelPaths!, slots: e.slots, name: `llama-cpp:${e.name}` });
  return { client, describe: () => `embedded llama.cpp (${Object.keys(e.modelPaths!).join(', ')})` };
}

/** The configured GGUF files, and which are loaded (none: listing loads nothing). */
export async function listLlamaCppModels(e: EndpointConfig): Promise<ListedModel[]> {
  const client = new LlamaCppModelClient({ models: e.modelPaths! });
  try {
    return client.status().map((s) => ({ name: s.name, loaded: s.loaded, details: `${s.path}, ${s.slots} slot(s)` }));
  } finally {
    await client.close();
  }
}
