import { FlotillaError } from '@flotilla/core';
import type { EndpointKind } from '../endpoint-kind';
import { envPairs, given } from '../command-line-values';

/** llama.cpp inside this process through node-llama-cpp (`@flotilla/adapter-llama-cpp`). */
export const LLAMA_CPP_KIND: EndpointKind = {
  name: 'llama-cpp',
  description: 'llama.cpp in this process (node-llama-cpp): a GGUF file per model name, sequences as slots',
  fields: { modelPaths: { expected: 'a GGUF file per model name (modelPaths: { name: path })', required: true } },
  fromCommandLine({ flags, env, defaults }) {
    const modelPaths = given(flags.models) ?? envPairs(env, 'FLOTILLA_LLAMA_MODELS') ?? given(defaults.models);
    if (!modelPaths) {
      throw new FlotillaError(
        'config',
        '--backend llama-cpp: expected FLOTILLA_LLAMA_MODELS=name=/path/model.gguf,... or --gguf name=/path/model.gguf (repeatable), naming a GGUF file per model',
        { details: { kind: 'llama-cpp', field: 'modelPaths' } },
      );
    }
    return { modelPaths: { ...modelPaths } };
  },
  create: (endpoint) => llamaCppEndpoint().createLlamaCppEndpoint(endpoint),
  listModels: (endpoint) => llamaCppEndpoint().listLlamaCppModels(endpoint),
  label: (endpoint) => `llama-cpp ${endpoint.name} (embedded)`,
};

function llamaCppEndpoint(): typeof import('./llama-cpp.endpoint') {
  // Loaded when an endpoint of this kind is made: a run on any other kind never loads node-llama-cpp.
  return require('./llama-cpp.endpoint');
}
