import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { FlotillaError } from '@flotilla/core';
import { createNodeHttpFetch } from '@flotilla/http';
import type { FleetRouter } from '@flotilla/router';
import { type ApiDialect, requestError, statusOf } from './http/api-error';
import { Exchange, type GatewayLog } from './http/exchange';
import { readJsonBody } from './http/read-json-body';
import { RequestGuard } from './http/request-guard';
import { type GatewayServices, RouteTable } from './http/route-table';
import { DEFAULT_GATEWAY_HOST, DEFAULT_GATEWAY_PORT, DEFAULT_GATEWAY_SETTINGS, type GatewayOptions, type GatewaySettings } from './gateway.options';
import { OLLAMA_MANAGEMENT_ROUTES, addOllamaRoutes } from './ollama/ollama.routes';
import { addOpenAIRoutes } from './openai/openai.routes';
import { TenantRegistry } from './tenancy/tenant-registry';
import { FairShare } from './tenancy/fair-share';
import { GatewayMetrics } from './visibility/gateway-metrics';
import { addVisibilityRoutes } from './visibility/visibility.routes';
import { RunRegistry } from './runs/run-registry';
import { addRunRoutes } from './runs/runs.routes';
import { DashboardFeed } from './dashboard/dashboard-feed';
import { addDashboardRoutes } from './dashboard/dashboard.routes';

/** Default bound on draining streams at close. */
const DEFAULT_DRAIN_MS = 10_000;

const noLog: GatewayLog = () => undefined;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * `flotilla serve`: one HTTP server (node:http) that speaks the OpenAI-compatible API and
 * Ollama's over one `FleetRouter`. Start with `Gateway.start(router, options)`; `close()`
 * stops accepting, drains what is in flight up to `drainMs`, and cuts the rest. It does not
 * close the router: whoever made the router closes it.
 */
export class Gateway {
  private readonly table = addVisibilityRoutes(addOllamaRoutes(addOpenAIRoutes(new RouteTable())));
  private readonly settings: GatewaySettings;
  private readonly guard: RequestGuard;
  private readonly services: GatewayServices;
  private readonly tenancy: TenantRegistry;
  private readonly fairShare = new FairShare();
  private readonly log: GatewayLog;
  private readonly inFlight = new Set<ServerResponse>();
  private readonly server: Server;
  private readonly runs: RunRegistry | undefined;
  private readonly dashboard: DashboardFeed;
  private closing: Promise<void> | undefined;
  private address = { host: DEFAULT_GATEWAY_HOST, port: 0 };

  private constructor(
    readonly router: FleetRouter,
    private readonly options: GatewayOptions,
  ) {
    this.settings = { ...DEFAULT_GATEWAY_SETTINGS, ...definedOnly(options) };
    this.guard = new RequestGuard(options.host ?? DEFAULT_GATEWAY_HOST, options.allowedHosts ?? [], options.allowedOrigins ?? []);
    const log = options.log ?? noLog;
    // The gateway's warnings (a chat that failed, a client cut off) are the dashboard's recent errors.
    this.log = (level, message, fields) => {
      if (level === 'warn') this.dashboard.error(fields?.['path'] === undefined ? 'gateway' : `${String(fields['method'])} ${String(fields['path'])}`, 'warning', message);
      log(level, message, fields);
    };
    this.tenancy = new TenantRegistry(options.tenancy ?? {}, options.env ?? process.env);
    this.services = { http: createNodeHttpFetch(), metrics: new GatewayMetrics(router, this.tenancy.tenants), tenants: this.tenancy.tenants };
    this.runs = options.runs ? new RunRegistry(options.runs) : undefined;
    if (this.runs) addRunRoutes(this.table, this.runs);
    this.dashboard = new DashboardFeed(router, this.tenancy.tenants, this.runs, options.dashboardIntervalMs ?? 500);
    addDashboardRoutes(this.table, this.dashboard);
    this.server = createServer({ requestTimeout: 0, headersTimeout: 30_000, keepAliveTimeout: 5_000 }, (req, res) => void this.serve(req, res));
  }

  /** Listens on `options.host` (127.0.0.1) and `options.port`; a port in use is a `config` error that says so. */
  static async start(router: FleetRouter, options: GatewayOptions = {}): Promise<Gateway> {
    const g = new Gateway(router, options);
    const host = options.host ?? DEFAULT_GATEWAY_HOST;
    if (!g.tenancy.keyed && !LOOPBACK.has(host) && !options.open) {
      throw new FlotillaError('config', `no API keys are configured, so the gateway serves loopback only; to serve ${host}, configure tenants with keys, or insist with --open`, { details: { host } });
    }
    const port = options.port ?? DEFAULT_GATEWAY_PORT;
    await new Promise<void>((resolve, reject) => {
      g.server.once('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EADDRINUSE') reject(new FlotillaError('config', `port ${port} on ${host} is in use (another gateway or server is listening there); choose another with --port`, { cause: e, details: { host, port } }));
        else if (e.code === 'EADDRNOTAVAIL' || e.code === 'EACCES') reject(new FlotillaError('config', `cannot listen on ${host}:${port}: ${e.code}`, { cause: e, details: { host, port } }));
        else reject(e);
      });
      g.server.listen(port, host, () => resolve());
    });
    const a = g.server.address();
    g.address = { host, port: typeof a === 'object' && a ? a.port : port };
    return g;
  }

  get port(): number {
    return this.address.port;
  }

  get url(): string {
    const h = this.address.host.includes(':') ? `[${this.address.host}]` : this.address.host;
    return `http://${h}:${this.address.port}`;
  }

  /** Requests being answered now. */
  get active(): number {
    return this.inFlight.size;
  }

  /**
   * Stops accepting connections, answers new requests on open connections 503, lets the
   * requests in flight finish for up to `drainMs`, then cuts what is left (a stream cut
   * this way ends without its end marker: clients see an error). Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((r) => this.server.close(() => r()));
      this.server.closeIdleConnections();
      this.dashboard.close();
      // Runs in flight are cancelled: their streams end (a cancelled outcome) within the drain.
      await this.runs?.cancelAll('the gateway is shutting down');
      const drainMs = this.options.drainMs ?? DEFAULT_DRAIN_MS;
      const end = Date.now() + drainMs;
      while (this.inFlight.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      for (const res of this.inFlight) res.destroy();
      this.server.closeAllConnections();
      await closed;
      this.services.http.close();
    })();
    return this.closing;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const path = (req.url ?? '/').split('?')[0]!;
    const dialect: ApiDialect = path.startsWith('/v1/') ? 'openai' : 'ollama';
    const x = new Exchange(req, res, this.router, this.settings, requestId, this.log);
    let routeName = 'other';
    let challenge: string | undefined;
    this.inFlight.add(res);
    res.once('close', () => {
      this.inFlight.delete(res);
      this.services.metrics.answered(routeName, res.statusCode);
    });
    try {
      if (this.closing) {
        res.setHeader('connection', 'close');
        throw new FlotillaError('unavailable', 'the gateway is shutting down');
      }
      const refused = this.guard.check(req);
      if (refused) throw refused;
      const origin = req.headers.origin;
      if (this.guard.corsFor(origin)) {
        res.setHeader('access-control-allow-origin', origin!);
        res.setHeader('vary', 'origin');
      }
      if (req.method === 'OPTIONS') {
        res.writeHead(204, { 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type, authorization', 'access-control-max-age': '600' });
        return void res.end();
      }
      const management = OLLAMA_MANAGEMENT_ROUTES.find((r) => path === r || path.startsWith(`${r}/`));
      if (management) throw requestError(501, `${management} is not available through the Flotilla gateway: manage models on each server directly`);
      const route = this.table.find(req.method ?? 'GET', path);
      challenge = route?.challenge;
      if (route?.access !== 'open') x.caller = this.tenancy.identify(req);
      if (!route) {
        if (this.table.knows(path)) throw requestError(405, `${req.method} is not allowed on ${path}`);
        throw requestError(404, `${req.method} ${path} is not a route of the Flotilla gateway`);
      }
      routeName = path;
      if (route.access === 'admin' && !x.caller.admin) throw requestError(403, `${path} needs a key with the admin role`);
      const tenant = x.caller.tenant;
      if (tenant) x.fairShare = this.fairShare;
      if (tenant && route.body) {
        const refused = tenant.admit(Date.now());
        if (refused) throw refused;
        res.once('close', () => tenant.done());
      }
      const body = route.body ? await readJsonBody(req, this.settings.bodyLimitBytes, this.settings.bodyTimeoutMs) : {};
      await route.handle(x, body, this.services);
    } catch (e) {
      if (!FlotillaError.is(e)) this.log('warn', `unexpected failure: ${(e as Error).stack ?? String(e)}`, { requestId });
      const error = FlotillaError.is(e) ? e : new FlotillaError('unavailable', `the gateway failed to answer: ${(e as Error).message}`, { retryable: false, details: { status: 500 } });
      if (res.headersSent) return void res.destroy();
      const status = statusOf(error);
      if (status === 401 && challenge) res.setHeader('www-authenticate', challenge);
      if (status >= 500 && FlotillaError.is(e)) this.dashboard.error(`${req.method} ${path}`, error.kind, error.message);
      x.fail(dialect, error);
    } finally {
      if (res.writableFinished || res.destroyed) this.log('info', `${req.method} ${path} ${res.statusCode}`, { requestId });
    }
  }
}

/** Settings given as undefined keep their defaults. */
function definedOnly(o: GatewayOptions): Partial<GatewaySettings> {
  const out: Partial<GatewaySettings> = {};
  for (const k of Object.keys(DEFAULT_GATEWAY_SETTINGS) as (keyof GatewaySettings)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

