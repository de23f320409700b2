import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { FlotillaError } from '@flotilla/core';
import { requestError } from '../http/api-error';
import { type TenancyConfig, type TenancyInput, TenancySchema, type TenantConfig } from './tenant-config';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A tenant as the gateway runs it: its configuration and its live counters. */
export class Tenant {
  inFlight = 0;
  /** Its calls waiting in the router's queue now. */
  queued = 0;
  private windowStart = 0;
  private inWindow = 0;
  private readonly models: ReadonlySet<string> | undefined;

  constructor(readonly config: TenantConfig) {
    this.models = config.models ? new Set(config.models) : undefined;
  }

  get name(): string {
    return this.config.name;
  }

  mayUse(model: string): boolean {
    return !this.models || this.models.has(model) || (!model.includes(':') && this.models.has(`${model}:latest`)) || this.models.has(model.replace(/:latest$/, ''));
  }

  /** Counts a request in, or says why not (429 with the seconds to wait). */
  admit(now: number): FlotillaError | undefined {
    const { maxConcurrent, requestsPerMinute } = this.config;
    if (maxConcurrent !== undefined && this.inFlight >= maxConcurrent) {
      return requestError(429, `tenant "${this.name}" has ${this.inFlight} request(s) in flight, its limit (maxConcurrent)`).with({ details: { retryAfterS: 1 } });
    }
    if (requestsPerMinute !== undefined) {
      if (now - this.windowStart >= 60_000) {
        this.windowStart = now;
        this.inWindow = 0;
      }
      if (this.inWindow >= requestsPerMinute) {
        const wait = Math.max(1, Math.ceil((this.windowStart + 60_000 - now) / 1000));
        return requestError(429, `tenant "${this.name}" started ${this.inWindow} request(s) this minute, its limit (requestsPerMinute)`).with({ details: { retryAfterS: wait } });
      }
      this.inWindow++;
    }
    this.inFlight++;
    return undefined;
  }

  done(): void {
    this.inFlight--;
  }
}

/** Who is calling: a tenant, the admin key, or nobody (no keys configured). */
export interface Caller {
  tenant?: Tenant;
  admin: boolean;
}

/**
 * API keys from the environment, kept only as SHA-256 digests; a request's
 * `Authorization: Bearer <key>` names its tenant. With no keys configured every caller is
 * let in (and the gateway then serves loopback only, unless insisted).
 */
export class TenantRegistry {
  private readonly byDigest = new Map<string, Tenant>();
  private readonly adminDigest: string | undefined;
  readonly tenants: readonly Tenant[];

  constructor(input: TenancyInput, env: NodeJS.ProcessEnv) {
    const config: TenancyConfig = TenancySchema.parse(input);
    const keyOf = (variable: string, who: string) => {
      const key = env[variable];
      if (!key) throw new FlotillaError('config', `${who}: environment variable ${variable} is not set (it holds the API key)`, { details: { variable } });
      return sha256(key);
    };
    this.tenants = config.tenants.map((t) => new Tenant(t));
    for (const t of this.tenants) {
      const digest = keyOf(t.config.keyEnv, `tenant "${t.name}"`);
      if (this.byDigest.has(digest)) throw new FlotillaError('config', `tenants "${this.byDigest.get(digest)!.name}" and "${t.name}" have the same key`);
      this.byDigest.set(digest, t);
    }
    this.adminDigest = config.adminKeyEnv ? keyOf(config.adminKeyEnv, 'adminKeyEnv') : undefined;
  }

  /** Whether any key is configured (else the gateway is open). */
  get keyed(): boolean {
    return this.byDigest.size > 0 || this.adminDigest !== undefined;
  }

  /** The caller of `req`; 401 for a missing or unknown key when keys are configured. */
  identify(req: IncomingMessage): Caller {
    if (!this.keyed) return { admin: true };
    const header = req.headers.authorization ?? '';
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    // A browser (the dashboard) sends the key as Basic auth's password, any user name.
    const basic = m ? undefined : /^Basic\s+(\S+)\s*$/i.exec(header);
    const key = m?.[1] ?? (basic ? /:(.+)$/s.exec(Buffer.from(basic[1]!, 'base64').toString('utf8'))?.[1] : undefined);
    if (!key) throw requestError(401, 'an API key is required: send Authorization: Bearer <key>');
    const digest = sha256(key);
    if (digest === this.adminDigest) return { admin: true };
    const tenant = this.byDigest.get(digest);
    if (!tenant) throw requestError(401, 'the API key is not known to this gateway');
    return { tenant, admin: tenant.config.admin };
  }
}
