import type { Tenant } from './tenant-registry';

/**
 * Start-time fair queueing over tenants. Each request gets a start tag: the later of the
 * fair-share clock and its tenant's last finish tag, which then moves on by 1 / weight. Within
 * a priority class the router dispatches lower tags first, so under saturation each tenant's
 * share of dispatches follows its weight, whatever it keeps queued; an idle tenant does not
 * bank credit (its tag starts at the clock).
 */
export class FairShare {
  private clock = 0;
  private readonly finish = new WeakMap<Tenant, number>();

  /**
   * The router priority of a request of `tenant`: its class minus its start tag, scaled so
   * that the tags of everything that can be queued at once span less than one class.
   */
  priority(tenant: Tenant): { priority: number; tag: number } {
    const tag = Math.max(this.clock, this.finish.get(tenant) ?? 0);
    this.finish.set(tenant, tag + 1 / tenant.config.weight);
    return { priority: tenant.config.priority - tag * TAG_SCALE, tag };
  }

  /** A request left the queue: the clock moves to its tag. */
  dispatched(tag: number): void {
    if (tag > this.clock) this.clock = tag;
  }
}

/** 1e-5 levels per tag unit: 10 000 queued requests of weight 1 span a tenth of a class. */
const TAG_SCALE = 1e-5;
