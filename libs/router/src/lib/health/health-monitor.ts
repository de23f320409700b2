import { FlotillaError } from '@flotilla/core';
import type { EndpointState } from '../endpoints/endpoint-state';

export interface HealthMonitorOptions {
  /** @default 5000 */
  intervalMs?: number;
  /** A probe slower than this counts as a failure. @default 2000 */
  probeTimeoutMs?: number;
  /** Called after every round (the router re-dispatches). */
  onChange?: () => void;
}

/**
 * Active health: probes every running endpoint (its model list, what it has loaded) on an
 * interval. A failed probe opens the endpoint's circuit; a successful one closes it and
 * refreshes the router's view of available and loaded models.
 */
export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private round: Promise<void> | undefined;
  private readonly intervalMs: number;
  private readonly probeTimeoutMs: number;

  constructor(
    private readonly endpoints: readonly EndpointState[],
    private readonly options: HealthMonitorOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? 5_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 2_000;
  }

  start(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.probeAll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round over all running endpoints; concurrent callers share it. */
  probeAll(): Promise<void> {
    this.round ??= Promise.all(this.endpoints.filter((e) => e.running).map((e) => this.probe(e))).then(() => {
      this.round = undefined;
      this.options.onChange?.();
    });
    return this.round;
  }

  /**
   * Probes one endpoint; resolves to whether it answered. An answer closes its circuit at
   * once, even in the middle of a cooldown (a restarted server is used again from its first
   * answered probe); a failure opens a closed circuit and leaves an open one as it is (a
   * failed probe does not restart the cooldown).
   */
  async probe(e: EndpointState): Promise<boolean> {
    const { listModels, loadedModels, ping } = e.probe;
    if (!listModels && !loadedModels && !ping) return true;
    const signal = AbortSignal.timeout(this.probeTimeoutMs);
    try {
      if (listModels) e.setAvailable(await listModels.call(e.probe, signal));
      else if (ping) await ping.call(e.probe, signal);
      if (loadedModels) e.syncLoaded(await loadedModels.call(e.probe, signal));
      e.breaker.success();
      e.lastError = undefined;
      return true;
    } catch (error) {
      if (e.breaker.state !== 'open') e.breaker.trip();
      e.lastError = signal.aborted
        ? new FlotillaError('timeout', `${e.name} did not answer its health probe within ${this.probeTimeoutMs} ms`, { cause: error, details: { endpoint: e.name, limitMs: this.probeTimeoutMs } })
        : FlotillaError.from(error).with({ details: { endpoint: e.name } });
      return false;
    }
  }
}
