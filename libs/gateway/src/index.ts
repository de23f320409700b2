// @flotilla/gateway: `flotilla serve`, one HTTP server that speaks the OpenAI-compatible API and
// Ollama's over a FleetRouter (slots, loaded models, one num_ctx per model, failover, breakers).
export { Gateway } from './lib/gateway.server';
export { DEFAULT_GATEWAY_PORT, DEFAULT_GATEWAY_HOST, DEFAULT_GATEWAY_SETTINGS } from './lib/gateway.options';
export type { GatewayOptions, GatewaySettings } from './lib/gateway.options';
export { SERVED_HEADERS } from './lib/http/exchange';
export { OLLAMA_MANAGEMENT_ROUTES, OLLAMA_API_VERSION } from './lib/ollama/ollama.routes';
export { GENERATE_ONLY_FIELDS } from './lib/ollama/ollama-request';
export { TenancySchema, TenantSchema } from './lib/tenancy/tenant-config';
export type { TenancyInput, TenancyConfig, TenantInput, TenantConfig } from './lib/tenancy/tenant-config';
export type { ChainRunner, StartRunOptions, StoredRunView } from './lib/runs/chain-runner';
export { RUN_ID_HEADER } from './lib/runs/runs.routes';
