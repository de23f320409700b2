import type { EndpointKind } from '../endpoint-kind';
import { envUrl } from '../command-line-values';

/** llama.cpp's server default. */
const DEFAULT_OPENAI_URL = 'http://127.0.0.1:8080/v1';

/** An OpenAI-compatible server: vLLM, llama.cpp's server, LM Studio, Ollama's /v1 (`@flotilla/adapter-openai`). */
export const OPENAI_KIND: EndpointKind = {
  name: 'openai',
  description: 'an OpenAI-compatible server: vLLM, llama-server, LM Studio (models from /v1/models, key from apiKeyEnv)',
  fields: {
    url: { expected: 'a server URL', required: true },
    apiKeyEnv: { expected: 'the name of the environment variable holding the API key' },
  },
  fromCommandLine: ({ flags, env }) => ({ url: flags.host ?? envUrl(env, 'OPENAI_BASE_URL') ?? DEFAULT_OPENAI_URL, apiKeyEnv: 'OPENAI_API_KEY' }),
  create: (endpoint, context) => openaiEndpoint().createOpenAIEndpoint(endpoint, context),
  listModels: (endpoint, context) => openaiEndpoint().listOpenAIModels(endpoint, context),
  label: (endpoint) => `openai ${new URL(endpoint.url!).host}`,
};

function openaiEndpoint(): typeof import('./openai.endpoint') {
  // Loaded when an endpoint of this kind is made: the openai SDK stays out of runs on other kinds.
  return require('./openai.endpoint');
}
