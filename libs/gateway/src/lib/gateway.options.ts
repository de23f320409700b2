import type { TenancyInput } from './tenancy/tenant-config';
import type { ChainRunner } from './runs/chain-runner';

/** Not Ollama's 11434: the gateway usually runs beside an Ollama server on the same machine. */
export const DEFAULT_GATEWAY_PORT = 11435;
export const DEFAULT_GATEWAY_HOST = '127.0.0.1';

/** How the gateway treats connections and requests; every field has a default. */
export interface GatewaySettings {
  /**
   * A stream with nothing to send (a queue, a cold load) sends its headers, then a heartbeat,
   * after this long; a client's header timeout never aborts a load. @default 500
   */
  heartbeatMs: number;
  /**
   * A `stream: false` reply not ready after this long gets status 200 and whitespace
   * heartbeats (Node's fetch aborts after 300 s without headers). @default 30000
   */
  nonStreamHeadersMs: number;
  /** A client that reads nothing for this long is cut off and its call cancelled. @default 30000 */
  writeTimeoutMs: number;
  /** Largest request body. @default 16 MiB */
  bodyLimitBytes: number;
  /** The whole body must arrive within this. @default 30000 */
  bodyTimeoutMs: number;
  /** Deadline of an embedding call. @default 120000 */
  embedTimeoutMs: number;
  /** Deadline of a metadata call forwarded to a backend (`/api/show`). @default 10000 */
  metadataTimeoutMs: number;
  /**
   * Calls that may wait in the router's queue fleet-wide; a request beyond it gets 503 with
   * `Retry-After` (each call's wait is bounded by the router's `routing.maxQueueMs`). @default 1000
   */
  maxQueued: number;
}

export const DEFAULT_GATEWAY_SETTINGS: GatewaySettings = {
  heartbeatMs: 500,
  nonStreamHeadersMs: 30_000,
  writeTimeoutMs: 30_000,
  bodyLimitBytes: 16 * 1024 * 1024,
  bodyTimeoutMs: 30_000,
  embedTimeoutMs: 120_000,
  metadataTimeoutMs: 10_000,
  maxQueued: 1_000,
};

export interface GatewayOptions extends Partial<GatewaySettings> {
  /** API keys (by environment variable), tenants and their limits. @default none: open, loopback only */
  tenancy?: TenancyInput;
  /** Where keys are read from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Serve without keys on an address other than loopback: the user insists. @default false */
  open?: boolean;
  /** @default "127.0.0.1" */
  host?: string;
  /** 0 picks a free port. @default DEFAULT_GATEWAY_PORT */
  port?: number;
  /**
   * Host names besides the bound address that requests may name in `Host` (a reverse
   * proxy's name). Anything else is refused: a DNS-rebinding page cannot reach the gateway.
   * @default none
   */
  allowedHosts?: readonly string[];
  /** Origins a browser page may call from (`http://localhost:3000`); other cross-origin requests are refused. @default none */
  allowedOrigins?: readonly string[];
  /** On close, streams in flight get this long to finish before they are cut. @default 10000 */
  drainMs?: number;
  /** Chains served at `/v1/runs/:chain` (AG-UI over SSE); `flotilla serve --chains <folder>` gives one. @default none: no run routes */
  runs?: ChainRunner;
  /** How often the dashboard (`GET /`) samples the fleet while a page is open. @default 500 */
  dashboardIntervalMs?: number;
  /** One line per request and per failure; never bodies or keys. @default none */
  log?: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
}
