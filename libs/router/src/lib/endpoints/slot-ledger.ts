/**
 * The calls in flight on one endpoint, per model: what the router checks the endpoint's slots
 * against. Keys are the endpoint's one name for a model. In one process the counts are a map
 * (`LocalSlotLedger`); a dispatch shared by several gateways replaces it with a ledger they
 * all see, and nothing else in the router changes. Such a ledger must also wake the router
 * when a slot frees elsewhere (`router.pump()`): a router re-runs dispatch only on its own events.
 */
export interface SlotLedger {
  /** Calls in flight for `key`. */
  inFlightFor(key: string): number;
  /** Calls in flight, all models. */
  readonly total: number;
  /** A call for `key` took a slot. */
  take(key: string): void;
  /** A call for `key` let its slot go (never below zero). */
  give(key: string): void;
}

/** The in-process ledger: counts in a map. */
export class LocalSlotLedger implements SlotLedger {
  private readonly byKey = new Map<string, number>();
  private count = 0;

  get total(): number {
    return this.count;
  }

  inFlightFor(key: string): number {
    return this.byKey.get(key) ?? 0;
  }

  take(key: string): void {
    this.byKey.set(key, this.inFlightFor(key) + 1);
    this.count++;
  }

  give(key: string): void {
    const n = this.inFlightFor(key);
    if (n === 0) return;
    this.byKey.set(key, n - 1);
    this.count--;
  }
}
