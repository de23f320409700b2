import type { EndpointKind } from '../endpoint-kind';
import { envUrl } from '../command-line-values';
import { canonicalModel } from '../../endpoints/model-name';

/** Ollama's own default address. */
const DEFAULT_OLLAMA_URL = 'http://127.0.0.1:11434';

/** An Ollama server over its REST API (`@flotilla/adapter-ollama`). */
export const OLLAMA_KIND: EndpointKind = {
  name: 'ollama',
  description: 'an Ollama server (models from /api/tags, loaded ones from /api/ps)',
  fields: { url: { expected: 'a server URL', required: true } },
  fromCommandLine: ({ flags, env }) => ({ url: flags.host ?? envUrl(env, 'OLLAMA_HOST') ?? DEFAULT_OLLAMA_URL }),
  create: (endpoint) => ollamaEndpoint().createOllamaEndpoint(endpoint),
  listModels: (endpoint, context) => ollamaEndpoint().listOllamaModels(endpoint, context),
  label: (endpoint) => `ollama ${hostAndPort(endpoint.url!)}`,
  modelName: canonicalModel,
};

function ollamaEndpoint(): typeof import('./ollama.endpoint') {
  // Loaded when an endpoint of this kind is made, not with the router (nor the CLI, nor the demo).
  return require('./ollama.endpoint');
}

/** "host:port" as the adapter reports it (the scheme's port when none is written). */
function hostAndPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}
