import type { FleetRouter } from '@flotilla/router';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Tenant } from '../tenancy/tenant-registry';

/**
 * Prometheus metrics of one gateway: requests by route and status, and on each scrape the
 * router's queue (depth and oldest wait per model), each endpoint's slots in use, circuit and
 * loaded models, and each tenant's requests in flight and queued. Keys never appear: tenants
 * are named by their configured names.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'status'>;

  constructor(router: FleetRouter, tenants: readonly Tenant[]) {
    const r = this.registry;
    this.requests = new Counter({ name: 'flotilla_gateway_requests_total', help: 'Requests answered, by route and status.', labelNames: ['route', 'status'], registers: [r] });
    new Gauge({
      name: 'flotilla_gateway_queue_depth',
      help: 'Calls waiting in the router for a slot, per model.',
      labelNames: ['model'],
      registers: [r],
      collect() {
        this.reset();
        for (const q of router.queueReport()) this.set({ model: q.model }, q.depth);
      },
    });
    new Gauge({
      name: 'flotilla_gateway_queue_oldest_wait_seconds',
      help: 'How long the oldest waiting call of each model has waited.',
      labelNames: ['model'],
      registers: [r],
      collect() {
        this.reset();
        for (const q of router.queueReport()) this.set({ model: q.model }, q.oldestWaitMs / 1000);
      },
    });
    new Gauge({
      name: 'flotilla_gateway_endpoint_in_flight',
      help: 'Calls running on each endpoint.',
      labelNames: ['endpoint'],
      registers: [r],
      collect() {
        for (const e of router.report().endpoints) this.set({ endpoint: e.name }, e.inFlight);
      },
    });
    new Gauge({
      name: 'flotilla_gateway_endpoint_up',
      help: '1 when the endpoint is running and its circuit is not open.',
      labelNames: ['endpoint'],
      registers: [r],
      collect() {
        for (const e of router.report().endpoints) this.set({ endpoint: e.name }, e.running && e.circuit !== 'open' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'flotilla_gateway_tenant_in_flight',
      help: 'Requests of each tenant being answered.',
      labelNames: ['tenant'],
      registers: [r],
      collect() {
        for (const t of tenants) this.set({ tenant: t.name }, t.inFlight);
      },
    });
  }

  answered(route: string, status: number): void {
    this.requests.inc({ route, status: String(status) });
  }
}
