import type { NodeHttpFetch } from '@flotilla/http';
import type { ApiDialect } from './api-error';
import type { Exchange } from './exchange';
import type { GatewayMetrics } from '../visibility/gateway-metrics';
import type { Tenant } from '../tenancy/tenant-registry';

/** What a route needs besides its exchange. */
export interface GatewayServices {
  /** For forwarded metadata calls (`/api/show`); closed with the gateway. */
  http: NodeHttpFetch;
  metrics: GatewayMetrics;
  tenants: readonly Tenant[];
}

export interface Route {
  /** The API whose error shape the route answers in. */
  dialect: ApiDialect;
  /** A JSON body is read (and required) before `handle`. */
  body: boolean;
  /** Who may call it when keys are configured: anyone (`open`), admins, or any known key (default). */
  access?: 'open' | 'admin';
  /** `WWW-Authenticate` sent with a 401, for routes a browser opens (the dashboard). */
  challenge?: string;
  handle(x: Exchange, body: Record<string, unknown>, services: GatewayServices): Promise<void> | void;
}

/** Routes by method and path: each API registers its own; the server has no switch over them. */
export class RouteTable {
  private readonly routes = new Map<string, Route>();
  /** Routes that serve every path under a prefix (`/v1/runs/`), which they parse themselves. */
  private readonly prefixes: { method: string; prefix: string; route: Route }[] = [];

  add(method: 'GET' | 'POST', path: string, route: Route): this {
    this.routes.set(`${method} ${path}`, route);
    return this;
  }

  /** A route for every path that starts with `prefix` (ending in `/`) and goes on past it. */
  addPrefix(method: 'GET' | 'POST', prefix: string, route: Route): this {
    this.prefixes.push({ method, prefix, route });
    return this;
  }

  find(method: string, path: string): Route | undefined {
    const m = method === 'HEAD' ? 'GET' : method;
    return this.routes.get(`${m} ${path}`) ?? this.prefixes.find((p) => p.method === m && path.length > p.prefix.length && path.startsWith(p.prefix))?.route;
  }

  /** Whether some method serves the path (405 rather than 404). */
  knows(path: string): boolean {
    return this.routes.has(`GET ${path}`) || this.routes.has(`POST ${path}`) || this.prefixes.some((p) => path.length > p.prefix.length && path.startsWith(p.prefix));
  }
}
