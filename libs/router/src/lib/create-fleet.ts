import type { FlotillaConfig } from '@flotilla/core';
import type { EndpointConfig, RouterConfig } from './config/router-config.schema';
import { flotillaConfigOf } from './config/flotilla-config-of';
import { EndpointState } from './endpoints/endpoint-state';
import { createEndpointClient } from './endpoints/create-endpoint-client';
import { FleetRouter } from './fleet-router';
import { HealthMonitor } from './health/health-monitor';
import { OnDemandInstance } from './on-demand/on-demand-instance';

export interface CreateFleetOptions {
  /** Where API keys are read from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Log lines from on-demand instances. @default none */
  log?: (line: string) => void;
}

/** A router built from a configuration, with its health monitor and on-demand instances. */
export interface Fleet {
  router: FleetRouter;
  /** The file's agents section as core's configuration (model per agent; the router handles fallbacks). */
  flotillaConfig: FlotillaConfig;
  monitor: HealthMonitor;
  instances: OnDemandInstance[];
  /** One probe round (models, loaded state), then probes on the configured interval. */
  start(): Promise<void>;
  /** Stops probes and every on-demand instance this fleet started; closes every endpoint's connections at once; frees in-process models. */
  close(): Promise<void>;
  describe(): string;
}

export function createFleetFromConfig(config: RouterConfig, options: CreateFleetOptions = {}): Fleet {
  const r = config.routing;
  const closers: (() => Promise<void>)[] = [];
  const endpoints = config.endpoints.map((e: EndpointConfig) => {
    const { client, probe, close } = createEndpointClient(e, options.env ?? process.env);
    if (close) closers.push(close);
    return new EndpointState(e, client, probe, { failureThreshold: r.failureThreshold, cooldownMs: r.cooldownMs, halfOpenTrials: r.halfOpenTrials });
  });
  const router = new FleetRouter({ endpoints, agents: config.agents, routing: r });
  const monitor = new HealthMonitor(endpoints, { intervalMs: r.healthIntervalMs, probeTimeoutMs: r.probeTimeoutMs, onChange: () => router.pump() });
  const instances = endpoints
    .filter((e) => e.config.onDemand)
    .map((e) => {
      const instance = new OnDemandInstance(e, { numCtx: r.numCtx, monitor, log: options.log });
      router.attachStarter(instance);
      return instance;
    });
  const flotillaConfig = flotillaConfigOf(config);
  return {
    router,
    flotillaConfig,
    monitor,
    instances,
    async start() {
      await monitor.probeAll();
      monitor.start();
    },
    async close() {
      monitor.stop();
      await Promise.all(instances.map((i) => i.stop()));
      await Promise.all(closers.map((c) => c()));
    },
    describe() {
      return `router over ${endpoints.map((e) => `${e.name} (${e.config.kind}${e.config.url ? ` ${e.config.url}` : ''}, ${e.slots} slot(s)${e.config.onDemand ? ', on demand' : ''})`).join(', ')}`;
    },
  };
}
