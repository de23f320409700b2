import * as path from 'node:path';
import type { FlotillaConfig, ModelClient } from '@flotilla/core';
import { type RouterConfig, createFleetFromConfig, loadRouterConfig, singleEndpointConfig } from '@flotilla/router';
import { FlotillaError } from '@flotilla/core';
import { FixtureModelClient, loadCassette } from '@flotilla/adapter-fixture';
import { OllamaModelClient } from '@flotilla/adapter-ollama';
import { OpenAICompatibleModelClient } from '@flotilla/adapter-openai';
import type { DemoOptions } from './cli-options';

/** The cassettes shipped with the demo, one per objective. */
export const SHIPPED_CASSETTES_DIR = path.resolve(__dirname, '../../cassettes');
export const SHIPPED_CASSETTES = ['reverse-string.json', 'fizzbuzz.json', 'lru-cache.json'].map((f) => path.join(SHIPPED_CASSETTES_DIR, f));

export interface DemoBackend {
  client: ModelClient;
  /** One line for the user: what answers the calls. */
  description: string;
  /** Per-agent models from a fleet configuration file. */
  config?: FlotillaConfig;
  /** Set when the calls are replayed from cassettes (not a live model), at this pace. */
  replay?: DemoOptions['pace'];
  /** Probes the fleet before the run; stops what it started after. */
  start?(): Promise<void>;
  close?(): Promise<void>;
}

/** Builds the model client the demo runs on, from the command line alone. */
export function createBackend(options: DemoOptions): DemoBackend {
  const fleetConfig = options.config ? loadRouterConfig(options.config) : options.backend === 'llama-cpp' ? llamaCppConfig(options) : undefined;
  if (fleetConfig) {
    const fleet = createFleetFromConfig(fleetConfig);
    const routed: DemoBackend = {
      client: fleet.router,
      description: `${fleet.describe()}${options.config ? ` (from ${path.basename(options.config)})` : ''}`,
      config: fleet.flotillaConfig,
      start: () => fleet.start(),
      close: () => fleet.close(),
    };
    if (!options.record) return routed;
    const file = options.cassettes![0]!;
    return { ...routed, client: new FixtureModelClient({ cassette: file, mode: 'record', inner: fleet.router, source: routed.description }) };
  }
  if (options.backend === 'fixture') {
    const cassettes = options.cassettes ?? SHIPPED_CASSETTES;
    const notes = [...new Set(cassettes.map((f) => loadCassette(f).note).filter(Boolean))];
    const client = new FixtureModelClient({ cassette: cassettes, pace: options.pace, speed: options.speed });
    const what = notes.length ? notes.join('; ') : 'recorded cassettes';
    return { client, replay: options.pace, description: `fixture: replaying ${cassettes.length} cassette(s), ${options.pace} pace (${what})` };
  }
  const live = createLiveClient(options);
  if (!options.record) return live;
  const file = options.cassettes![0]!;
  return {
    client: new FixtureModelClient({ cassette: file, mode: 'record', inner: live.client, source: live.description }),
    description: `${live.description}, recording every call into ${file}`,
  };
}

/** llama.cpp in this process, one endpoint behind the router (its slots and queue). */
function llamaCppConfig(options: DemoOptions): RouterConfig {
  const config = singleEndpointConfig('llama-cpp', { env: { FLOTILLA_LLAMA_MODELS: options.llamaModels } });
  const models = Object.keys(config.endpoints[0]!.modelPaths ?? {});
  if (models.length === 0) {
    throw new FlotillaError('config', '--backend llama-cpp: expected FLOTILLA_LLAMA_MODELS=name=/path/model.gguf,... naming a GGUF file per model');
  }
  return config;
}

function createLiveClient(options: DemoOptions): DemoBackend {
  if (options.backend === 'ollama') {
    const client = new OllamaModelClient({ host: options.host });
    return { client, description: `ollama at ${client.endpoint}` };
  }
  const client = new OpenAICompatibleModelClient({ baseURL: options.host });
  return { client, description: `openai-compatible server at ${client.endpoint}` };
}
