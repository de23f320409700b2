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
export type { ResolveRouterConfigOptions } from './lib/config/router-config-from-env';
