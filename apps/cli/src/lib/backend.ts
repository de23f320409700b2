import * as fs from 'node:fs';
import * as path from 'node:path';
import { FlotillaError, type FlotillaConfig, type ModelClient, urlFlag } from '@flotilla/core';
import { FixtureModelClient, loadCassette } from '@flotilla/adapter-fixture';
import { OllamaModelClient } from '@flotilla/adapter-ollama';
import { OpenAICompatibleModelClient } from '@flotilla/adapter-openai';
import { LlamaCppModelClient } from '@flotilla/adapter-llama-cpp';
import { type RouterConfig, createFleetFromConfig, resolveRouterConfig } from '@flotilla/router';

export const BACKENDS = ['fixture', 'ollama', 'openai', 'llama-cpp'] as const;
export type BackendKind = (typeof BACKENDS)[number];

export interface BackendOptions {
  backend?: BackendKind;
  /** Server address (ollama, openai). */
  host?: string;
  /** Cassettes to replay (fixture) or record into (`record`). */
  cassettes?: string[];
  /** llama-cpp: model name -> GGUF path. */
  llamaModels?: Record<string, string>;
  /** A fleet configuration file (@flotilla/router); wins over `backend`. */
  config?: string;
  record?: boolean;
  pace?: 'instant' | 'recorded';
  speed?: number;
  env: NodeJS.ProcessEnv;
}

export interface Backend {
  client: ModelClient;
  /** One line for the user: what answers the calls. */
  description: string;
  /** Engine configuration the backend brings (a fleet file's agents section). */
  config?: FlotillaConfig;
  close(): Promise<void>;
}

/**
 * The fleet a command runs on, when there is one: `--config`, else FLOTILLA_CONFIG /
 * FLOTILLA_BACKEND (the router's conventions); `--backend` wins over the environment.
 * Read without starting anything, so `validate` checks a chain against it as `run` does.
 */
export function resolveFleetConfig(options: Pick<BackendOptions, 'config' | 'backend' | 'env'>): RouterConfig | undefined {
  return options.config || !options.backend ? resolveRouterConfig({ file: options.config, env: options.env }) : undefined;
}

/** Cassettes next to a chain file (`<dir>/cassettes/*.json`), the fixture default. */
export function cassettesBeside(chainFile: string): string[] {
  const dir = path.join(path.dirname(chainFile), 'cassettes');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => path.join(dir, f));
}

/** The model client a command runs on: a fleet (`fleetConfig`, see resolveFleetConfig), else one backend. */
export async function createBackend(options: BackendOptions, chainFile?: string, fleetConfig: RouterConfig | undefined = resolveFleetConfig(options)): Promise<Backend> {
  if (fleetConfig) {
    const fleet = createFleetFromConfig(fleetConfig, { env: options.env });
    await fleet.start();
    const routed: Backend = { client: fleet.router, description: fleet.describe(), config: fleet.flotillaConfig, close: () => fleet.close() };
    return options.record ? recording(routed, options) : routed;
  }
  const kind = options.backend ?? 'fixture';
  const live = kind === 'fixture' ? undefined : createLiveClient(kind, options);
  if (!live) {
    const fromEnv = (options.env['FLOTILLA_CASSETTES'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const cassettes = options.cassettes?.length ? options.cassettes : fromEnv.length ? fromEnv : chainFile ? cassettesBeside(chainFile) : [];
    if (cassettes.length === 0) {
      throw new FlotillaError('config', '--backend fixture: no cassettes; pass --cassette <file>, set FLOTILLA_CASSETTES, put them in cassettes/ next to the chain, or choose --backend ollama|openai|llama-cpp');
    }
    const notes = [...new Set(cassettes.map((f) => loadCassette(f).note).filter(Boolean))];
    const client = new FixtureModelClient({ cassette: cassettes, pace: options.pace, speed: options.speed });
    return { client, description: `fixture: replaying ${cassettes.length} cassette(s)${notes.length ? ` (${notes.join('; ')})` : ''}`, close: async () => undefined };
  }
  return options.record ? recording(live, options) : live;
}

/** A live backend whose every call is also written into the cassette `--cassette` names. */
function recording(live: Backend, options: BackendOptions): Backend {
  const file = options.cassettes?.[0];
  if (!file) throw new FlotillaError('config', '--record: expected --cassette <file> to write the recordings to', { details: { flag: '--record' } });
  return {
    ...live,
    client: new FixtureModelClient({ cassette: file, mode: 'record', inner: live.client, source: live.description }),
    description: `${live.description}, recording every call into ${file}`,
  };
}

export function createLiveClient(kind: Exclude<BackendKind, 'fixture'>, options: Pick<BackendOptions, 'host' | 'llamaModels' | 'env'>): Backend & { raw: OllamaModelClient | OpenAICompatibleModelClient | LlamaCppModelClient } {
  if (kind === 'ollama') {
    const client = new OllamaModelClient({ host: options.host ?? fromEnv(options.env, 'OLLAMA_HOST') });
    return { client, raw: client, description: `ollama at ${client.endpoint}`, close: () => client.close() };
  }
  if (kind === 'openai') {
    const client = new OpenAICompatibleModelClient({ baseURL: options.host ?? fromEnv(options.env, 'OPENAI_BASE_URL') });
    return { client, raw: client, description: `openai-compatible server at ${client.endpoint}`, close: () => client.close() };
  }
  const models = options.llamaModels && Object.keys(options.llamaModels).length ? options.llamaModels : llamaModelsFromEnv(options.env);
  if (Object.keys(models).length === 0) {
    throw new FlotillaError('config', '--backend llama-cpp: expected models; pass --gguf name=path/model.gguf (repeatable) or set FLOTILLA_LLAMA_MODELS=name=path,...');
  }
  const client = new LlamaCppModelClient({ models });
  return { client, raw: client, description: `embedded llama.cpp (${Object.keys(models).join(', ')})`, close: () => client.close() };
}

/** A server address from the environment, checked like --host (the message names the variable). */
function fromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value ? urlFlag(name, value) : undefined;
}

function llamaModelsFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const list = (env['FLOTILLA_LLAMA_MODELS'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return Object.fromEntries(list.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
}
