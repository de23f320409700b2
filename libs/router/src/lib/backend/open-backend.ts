import * as path from 'node:path';
import { FlotillaError, type FlotillaConfig, type ModelClient } from '@flotilla/core';
import { createFleetFromConfig } from '../create-fleet';
import type { EndpointKind, ReplayPace } from '../kinds/endpoint-kind';
import { kindOptions } from '../kinds/endpoint-kind-registry';
import { endpointKinds } from '../kinds/endpoint-kinds';
import { type BackendChoice, type BackendSpec, chooseBackend } from './choose-backend';
import { singleEndpoint } from './backend-endpoints';

/** What a command runs on. */
export interface Backend {
  /**
   * The client for `createFlotilla({ client })`. Closing it (`flotilla.close()` does) lets
   * go of everything the backend holds: a fleet's probes, instances and connections, a
   * single client's connections or in-process models, a recording's live client.
   */
  readonly client: ModelClient;
  /** One line for the user: what answers the calls. */
  readonly description: string;
  /** The engine configuration a fleet file brings (its agents section: a model per agent). */
  readonly config?: FlotillaConfig;
  /** Set when every call is answered from recordings, not a model: at which pace (`instant`: timings are as recorded, not lived). */
  readonly replay?: ReplayPace;
}

/**
 * The one backend factory of the CLI, the demo and programs: a fleet from a configuration
 * file (the router over its endpoints, probed once before this resolves), else one
 * endpoint of a registered kind built from flags and environment; with `record`, a
 * FixtureModelClient recording every call of it into `flags.cassettes[0]`. Adapters load
 * here, only those of the kinds in use. Errors in what the user gave are `config`
 * FlotillaErrors that name the flag, variable or file.
 */
export async function openBackend(spec: BackendSpec, choice: BackendChoice | undefined = chooseBackend(spec)): Promise<Backend> {
  if (!choice) throw new FlotillaError('config', 'openBackend: expected --config, --backend, FLOTILLA_CONFIG, FLOTILLA_BACKEND or a defaultKind');
  const env = spec.env ?? process.env;
  const opened = choice.source === 'fleet' ? await openFleet(choice, env, spec.log) : openSingle(spec, choice.kind, env);
  return spec.record ? recording(opened, spec.flags!.cassettes![0]!) : opened;
}

async function openFleet(choice: Extract<BackendChoice, { source: 'fleet' }>, env: NodeJS.ProcessEnv, log: BackendSpec['log']): Promise<Backend> {
  const fleet = createFleetFromConfig(choice.fleet, { env, log });
  try {
    await fleet.start();
  } catch (e) {
    await fleet.close();
    throw e;
  }
  const paces = choice.fleet.endpoints.map((e) => {
    const kind = endpointKinds.get(e.kind);
    return kind.replay?.(kindOptions(kind, e));
  });
  return {
    client: fleet.router,
    description: `${fleet.describe()} (from ${path.basename(choice.file)})`,
    config: fleet.flotillaConfig,
    ...(paces.every((p) => p !== undefined) ? { replay: paces.every((p) => p === 'instant') ? 'instant' : 'recorded' } : {}),
  };
}

function openSingle(spec: BackendSpec, kind: EndpointKind, env: NodeJS.ProcessEnv): Backend {
  const endpoint = singleEndpoint(spec, kind);
  const options = kindOptions(kind, endpoint);
  const made = kind.create(endpoint, { env, options });
  try {
    const description = made.describe?.() ?? `${kind.name} ${endpoint.url ?? endpoint.name}`;
    return { client: made.client, description, ...(kind.replay ? { replay: kind.replay(options) } : {}) };
  } catch (e) {
    void made.client.close?.();
    throw e;
  }
}

function recording(live: Backend, file: string): Backend {
  const { recordCalls } = require('./record-calls') as typeof import('./record-calls');
  return {
    client: recordCalls(live.client, file, live.description),
    description: `${live.description}, recording every call into ${file}`,
    ...(live.config ? { config: live.config } : {}),
  };
}
