import type { EndpointConfig } from '../config/router-config.schema';
import type { ListedModel } from '../kinds/endpoint-kind';
import { kindOptions } from '../kinds/endpoint-kind-registry';
import { endpointKinds } from '../kinds/endpoint-kinds';

export interface ListEndpointModelsContext {
  /** Where API keys are read from. */
  env: NodeJS.ProcessEnv;
  /** Aborted when the listing's time is up or the user cancels. */
  signal: AbortSignal;
  /** The deadline of each metadata call. */
  timeoutMs: number;
}

/** How listings name an endpoint ("ollama 127.0.0.1:11434"): its kind's `label`. */
export function endpointLabel(endpoint: EndpointConfig): string {
  const kind = endpointKinds.get(endpoint.kind);
  return kind.label?.(endpoint) ?? `${kind.name} ${endpoint.url ?? endpoint.name}`;
}

/** An endpoint's models, as its kind lists them (`flotilla models`); a kind without `listModels` is asked through its probe. */
export async function listEndpointModels(endpoint: EndpointConfig, context: ListEndpointModelsContext): Promise<ListedModel[]> {
  const kind = endpointKinds.get(endpoint.kind);
  const options = kindOptions(kind, endpoint);
  if (kind.listModels) return kind.listModels(endpoint, { ...context, options });
  const { client, probe } = kind.create(endpoint, { env: context.env, options });
  try {
    const none: string[] = [];
    const [names, loaded] = await Promise.all([probe?.listModels?.(context.signal) ?? none, probe?.loadedModels?.(context.signal) ?? none]);
    return [...new Set([...names, ...loaded])].map((name) => ({ name, loaded: loaded.includes(name) }));
  } finally {
    await client.close?.();
  }
}
