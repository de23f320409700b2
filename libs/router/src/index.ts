// @flotilla/router: one ModelClient over a fleet of model servers (slots, health, failover, on-demand instances),
// the registry of endpoint kinds, and the one backend factory the CLI, the demo and programs use.

// The fleet configuration file.
export { RouterConfigSchema, routerConfigJsonSchema } from './lib/config/router-config.schema';
export type { RouterConfig, RouterConfigInput, EndpointConfig, EndpointInput, AgentRoute, RoutingConfig, OnDemandConfig, RoutingPolicy, McpServerEntry } from './lib/config/router-config.schema';
export { loadRouterConfig, parseRouterConfig, validateRouterConfig } from './lib/config/load-router-config';
export type { ConfigProblem } from './lib/config/load-router-config';
export { flotillaConfigOf } from './lib/config/flotilla-config-of';

// The router and the fleet.
export { FleetRouter } from './lib/fleet-router';
export type { FleetRouterOptions } from './lib/fleet-router';
export type { FleetReport } from './lib/fleet-report';
export { createFleetFromConfig } from './lib/create-fleet';
export type { Fleet, CreateFleetOptions } from './lib/create-fleet';

// Endpoint kinds.
export { EndpointKindRegistry } from './lib/kinds/endpoint-kind-registry';
export { endpointKinds } from './lib/kinds/endpoint-kinds';
export type {
  EndpointKind,
  EndpointField,
  EndpointFieldUse,
  EndpointClient,
  EndpointContext,
  ListModelsContext,
  ListedModel,
  BackendFlags,
  CommandLineInput,
  CommandLineEndpoint,
  ReplayPace,
} from './lib/kinds/endpoint-kind';
export type { EndpointProbe } from './lib/endpoints/endpoint-probe';
export { LocalSlotLedger } from './lib/endpoints/slot-ledger';
export type { SlotLedger } from './lib/endpoints/slot-ledger';

// The backend a command runs on.
export { openBackend } from './lib/backend/open-backend';
export type { Backend } from './lib/backend/open-backend';
export { chooseBackend } from './lib/backend/choose-backend';
export type { BackendSpec, BackendChoice } from './lib/backend/choose-backend';
export { backendEndpoints } from './lib/backend/backend-endpoints';
export { parseBackendFlags } from './lib/backend/parse-backend-flags';
export type { BackendFlagText } from './lib/backend/parse-backend-flags';
export { endpointLabel, listEndpointModels } from './lib/backend/list-endpoint-models';
export type { ListEndpointModelsContext } from './lib/backend/list-endpoint-models';
