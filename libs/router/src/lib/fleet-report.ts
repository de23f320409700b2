import type { CircuitState } from './health/circuit-breaker';

/** A snapshot of the fleet as the router sees it. */
export interface FleetReport {
  queued: number;
  endpoints: {
    name: string;
    running: boolean;
    circuit: CircuitState;
    inFlight: number;
    dispatched: number;
    coldStarts: number;
    loaded: string[];
  }[];
}
