import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { FlotillaError } from '@flotilla/core';
import { requestError } from './api-error';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/**
 * The defences every request passes before its route: `Host` must name the bound address
 * or a configured name (a DNS-rebinding page names its own domain), and a browser request
 * from another origin must come from a configured one.
 */
export class RequestGuard {
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;
  private readonly anyIp: boolean;

  constructor(host: string, allowedHosts: readonly string[], allowedOrigins: readonly string[]) {
    const bound = isIP(host) === 6 ? `[${host}]` : host;
    this.anyIp = host === '0.0.0.0' || host === '::';
    const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost';
    this.hosts = new Set([bound, ...(loopback ? LOOPBACK_NAMES : []), ...allowedHosts].map((h) => h.toLowerCase()));
    this.origins = new Set(allowedOrigins.map((o) => o.replace(/\/$/, '').toLowerCase()));
  }

  /** The refusal for this request, if any. */
  check(req: IncomingMessage): FlotillaError | undefined {
    const hostHeader = (req.headers.host ?? '').toLowerCase();
    const name = hostHeader.startsWith('[') ? hostHeader.slice(0, hostHeader.indexOf(']') + 1) : hostHeader.split(':')[0]!;
    const literal = name.startsWith('[') ? name.slice(1, -1) : name;
    if (!name || !(this.hosts.has(name) || (this.anyIp && isIP(literal) !== 0))) {
      return requestError(403, `Host ${JSON.stringify(hostHeader)} is not this gateway's address or a configured name (see allowedHosts)`);
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin, hostHeader)) {
      return requestError(403, `cross-origin requests from ${JSON.stringify(origin)} are refused (see allowedOrigins)`);
    }
    return undefined;
  }

  /** A configured origin, or the gateway's own. */
  originAllowed(origin: string, hostHeader = ''): boolean {
    const o = origin.toLowerCase();
    return this.origins.has(o) || (hostHeader !== '' && (o === `http://${hostHeader}` || o === `https://${hostHeader}`));
  }

  /** Whether `origin` gets CORS headers (a configured one). */
  corsFor(origin: string | undefined): boolean {
    return origin !== undefined && this.origins.has(origin.toLowerCase());
  }
}
