import type { ModelClient } from '@flotilla/core';
import { FixtureModelClient } from '@flotilla/adapter-fixture';
import { LlamaCppModelClient } from '@flotilla/adapter-llama-cpp';
import { OllamaModelClient } from '@flotilla/adapter-ollama';
import { OpenAICompatibleModelClient } from '@flotilla/adapter-openai';
import type { EndpointConfig } from '../config/router-config.schema';
import type { EndpointProbe } from './endpoint-probe';

/** The adapter for an endpoint's kind, what the router can ask it besides chat, and how to let go of it (connections, in-process models). */
export function createEndpointClient(e: EndpointConfig, env: NodeJS.ProcessEnv): { client: ModelClient; probe: EndpointProbe; close?: () => Promise<void> } {
  switch (e.kind) {
    case 'ollama': {
      const client = new OllamaModelClient({ host: e.url!, name: `ollama:${e.name}` });
      return {
        client,
        probe: {
          listModels: async (signal) => (await client.listModels({ signal })).map((m) => m.name),
          loadedModels: async (signal) => (await client.loadedModels({ signal })).map((m) => m.name),
          warm: async (model, numCtx) => void (await client.warm(model, { numCtx })),
        },
        close: () => client.close(),
      };
    }
    case 'openai': {
      const client = new OpenAICompatibleModelClient({ baseURL: e.url!, apiKeyEnv: e.apiKeyEnv, name: `openai:${e.name}`, env });
      // An OpenAI-compatible server serves what it lists, already loaded (llama-server, vLLM).
      const list = async (signal?: AbortSignal) => (await client.listModels({ signal })).map((m) => m.id);
      return { client, probe: { listModels: list, loadedModels: list }, close: () => client.close() };
    }
    case 'fixture':
      return { client: new FixtureModelClient({ cassette: e.cassettes!, name: `fixture:${e.name}` }), probe: {} };
    case 'llama-cpp': {
      const client = new LlamaCppModelClient({ models: e.modelPaths!, slots: e.slots, name: `llama-cpp:${e.name}` });
      // Models live in this process: closing the fleet frees them.
      return { client, probe: {}, close: () => client.close() };
    }
  }
}
