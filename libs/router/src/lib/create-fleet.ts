import type { FlotillaConfig } from '@flotilla/core';
import type { EndpointConfig, RouterConfig } from './config/router-config.schema';
import type { SlotLedger } from './endpoints/slot-ledger';
import { flotillaConfigOf } from './config/flotilla-config-of';
import { EndpointState } from './endpoints/endpoint-state';
import { kindOptions } from './kinds/endpoint-kind-registry';
import { endpointKinds } from './kinds/endpoint-kinds';
import { FleetRouter } from './fleet-router';
import { HealthMonitor } from './health/health-monitor';
import { OnDemandInstance } from './on-demand/on-demand-instance';

export interface CreateFleetOptions {
  /** Where API keys are read from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Log lines from on-demand instances. @default none */
  log?: (line: string) => void;
  /** Where each endpoint's calls in flight are counted (a dispatch shared across processes). @default one LocalSlotLedger per endpoint */
  ledger?: (endpoint: EndpointConfig) => SlotLedger;
}

/** A router built from a configuration, with its health monitor and on-demand instances. */
export interface Fleet {
  /** The client to run on; its `close()` is the fleet's. */
  router: FleetRouter;
  /** The file's agents section as core's configuration (model per agent; the router handles fallbacks). */
  flotillaConfig: FlotillaConfig;
  monitor: HealthMonitor;
  instances: OnDemandInstance[];
  /** One probe round (models, loaded state), then probes on the configured interval. */
  start(): Promise<void>;
  /** `router.close()`: stops probes and every on-demand instance this fleet started, closes every endpoint's connections at once, frees in-process models. */
  close(): Promise<void>;
  describe(): string;
}

/**
 * The fleet of a validated configuration: each endpoint's client comes from its kind
 * (`endpointKinds`), which loads its adapter now, so a fleet loads only the adapters its
 * endpoints use.
 */
export function createFleetFromConfig(config: RouterConfig, options: CreateFleetOptions = {}): Fleet {
  const r = config.routing;
  const env = options.env ?? process.env;
  const endpoints: EndpointState[] = [];
  const closeClients = () => Promise.all(endpoints.map(async (e) => e.client.close?.()));
  try {
    for (const e of config.endpoints) {
      const kind = endpointKinds.get(e.kind, `endpoint ${e.name}: kind`);
      const { client, probe } = kind.create(e, { env, options: kindOptions(kind, e) });
      const breaker = { failureThreshold: r.failureThreshold, cooldownMs: r.cooldownMs, halfOpenTrials: r.halfOpenTrials };
      endpoints.push(new EndpointState(e, client, probe, breaker, options.ledger?.(e)));
    }
  } catch (error) {
    // The endpoints made before the one that failed hold connections or models already.
    void closeClients();
    throw error;
  }
  const release = async () => {
    monitor.stop();
    await Promise.all(instances.map((i) => i.stop()));
    await closeClients();
  };
  const router = new FleetRouter({ endpoints, agents: config.agents, routing: r, release });
  const monitor = new HealthMonitor(endpoints, { intervalMs: r.healthIntervalMs, probeTimeoutMs: r.probeTimeoutMs, onChange: () => router.pump() });
  const instances = endpoints
    .filter((e) => e.config.onDemand)
    .map((e) => {
      const instance = new OnDemandInstance(e, { numCtx: r.numCtx, monitor, log: options.log });
      router.attachStarter(instance);
      return instance;
    });
  return {
    router,
    flotillaConfig: flotillaConfigOf(config),
    monitor,
    instances,
    async start() {
      await monitor.probeAll();
      monitor.start();
    },
    close: () => router.close(),
    describe() {
      return `router over ${endpoints.map((e) => `${e.name} (${e.config.kind}${e.config.url ? ` ${e.config.url}` : ''}, ${e.slots} slot(s)${e.config.onDemand ? ', on demand' : ''})`).join(', ')}`;
    },
  };
}
