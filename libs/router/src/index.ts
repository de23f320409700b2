// @flotilla/router: one ModelClient over a fleet of model servers (slots, health, failover, on-demand instances).
export {
  RouterConfigSchema,
  EndpointSchema,
  AgentRouteSchema,
  RoutingSchema,
  OnDemandSchema,
  ENDPOINT_KINDS,
  ROUTING_POLICIES,
  routerConfigJsonSchema,
} from './lib/config/router-config.schema';
export type {
  RouterConfig,
  RouterConfigInput,
  EndpointConfig,
  EndpointKind,
  AgentRoute,
  RoutingConfig,
  OnDemandConfig,
  RoutingPolicy,
} from './lib/config/router-config.schema';
export { loadRouterConfig, parseRouterConfig, validateRouterConfig } from './lib/config/load-router-config';
export type { ConfigProblem } from './lib/config/load-router-config';
export { resolveRouterConfig, singleEndpointConfig } from './lib/config/router-config-from-env';
export { flotillaConfigOf } from './lib/config/flotilla-config-of';
export type { ResolveRouterConfigOptions } from './lib/config/router-config-from-env';

export { FleetRouter } from './lib/fleet-router';
export type { FleetRouterOptions, InstanceStarter } from './lib/fleet-router';
export type { FleetReport } from './lib/fleet-report';
export { createFleetFromConfig } from './lib/create-fleet';
export type { Fleet, CreateFleetOptions } from './lib/create-fleet';
export { createEndpointClient } from './lib/endpoints/create-endpoint-client';
export { EndpointState, ModelStats } from './lib/endpoints/endpoint-state';
export type { EndpointProbe } from './lib/endpoints/endpoint-probe';
export { MovingAverage } from './lib/endpoints/moving-average';
export { canonicalModel } from './lib/endpoints/model-name';
export { EndpointScorer, DEFAULT_SERVICE_MS, AFFINITY_TOLERANCE } from './lib/dispatch/endpoint-scorer';
export type { Decision, ScoreContext } from './lib/dispatch/endpoint-scorer';
export { PriorityQueue } from './lib/dispatch/priority-queue';
export type { QueueEntry } from './lib/dispatch/priority-queue';
export { COLD_LOAD_MS } from './lib/dispatch/endpoint-call';
export { CircuitBreaker } from './lib/health/circuit-breaker';
export type { CircuitBreakerOptions, CircuitState } from './lib/health/circuit-breaker';
export { HealthMonitor } from './lib/health/health-monitor';
export type { HealthMonitorOptions } from './lib/health/health-monitor';
export { OnDemandInstance } from './lib/on-demand/on-demand-instance';
export type { OnDemandInstanceOptions } from './lib/on-demand/on-demand-instance';
