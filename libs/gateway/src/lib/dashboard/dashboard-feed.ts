import type { ServerResponse } from 'node:http';
import type { FleetRouter } from '@flotilla/router';
import { renderTimeline, summarizeRun } from '@flotilla/observability';
import type { Tenant } from '../tenancy/tenant-registry';
import type { RunRegistry } from '../runs/run-registry';

/** Recent errors the dashboard keeps (newest first). */
export const DASHBOARD_ERRORS_KEPT = 50;
/** Runs in flight drawn as timelines at most (the newest). */
const MAX_LIVE_TIMELINES = 20;

export interface DashboardError {
  at: string;
  where: string;
  kind: string;
  message: string;
}

/** What the page shows; sent whole on every change (`GET /events`). Tenant names only: keys never. */
export interface DashboardSnapshot {
  endpoints: { name: string; up: boolean; running: boolean; circuit: string; slotsInUse: number; slots: number | undefined; loaded: string[] }[];
  queued: number;
  queues: unknown;
  tenants: { name: string; inFlight: number; queued: number }[];
  runs: { runId: string; chain: string | undefined; elapsedMs: number; calls: number; timeline: string }[];
  errors: DashboardError[];
}

/**
 * The live dashboard's state and its SSE subscribers. While a page is open it samples the
 * router's report, the tenants and the runs in flight every `intervalMs`, and sends the
 * snapshot when it changed (a comment line otherwise, so proxies keep the stream). With no
 * page open it samples nothing: the gateway's per-request cost is unchanged.
 */
export class DashboardFeed {
  private readonly clients = new Set<ServerResponse>();
  private readonly errors: DashboardError[] = [];
  private timer: NodeJS.Timeout | undefined;
  private last = '';
  private down = new Set<string>();

  constructor(
    private readonly router: FleetRouter,
    private readonly tenants: readonly Tenant[],
    private readonly runs: RunRegistry | undefined,
    private readonly intervalMs: number,
  ) {
    if (runs) runs.onEnd = (r) => r.status === 'failed' && this.error(`run ${r.runId}`, r.error?.kind ?? 'failed', r.error?.message ?? 'the run failed');
  }

  /** A failure worth showing: a gateway answer that failed, an endpoint going down, a failed run. */
  error(where: string, kind: string, message: string): void {
    this.errors.unshift({ at: new Date().toISOString(), where, kind, message: message.slice(0, 500) });
    if (this.errors.length > DASHBOARD_ERRORS_KEPT) this.errors.length = DASHBOARD_ERRORS_KEPT;
  }

  snapshot(): DashboardSnapshot {
    const report = this.router.report();
    const slots = new Map(this.router.endpoints.map((e) => [e.name, e.config.slots]));
    const endpoints = report.endpoints.map((e) => ({ name: e.name, up: e.running && e.circuit !== 'open', running: e.running, circuit: e.circuit, slotsInUse: e.inFlight, slots: slots.get(e.name), loaded: [...e.loaded] }));
    for (const e of endpoints) {
      if (!e.up && !this.down.has(e.name)) {
        this.down.add(e.name);
        this.error(`endpoint ${e.name}`, 'unavailable', e.running ? `circuit ${e.circuit}` : 'not answering its health probe');
      } else if (e.up) this.down.delete(e.name);
    }
    const now = Date.now();
    const runs = (this.runs?.liveTraces() ?? []).slice(-MAX_LIVE_TIMELINES).map((t) => {
      const summary = summarizeRun(t.events, t.startedAt);
      const elapsedMs = now - t.startedAt;
      // Calls still running are drawn up to now: their bars grow until they end.
      summary.calls = summary.calls.map((c) => (c.endAt === undefined ? { ...c, endAt: Math.max(c.startAt, elapsedMs) } : c));
      summary.durationMs = elapsedMs;
      return { runId: t.runId, chain: summary.chain, elapsedMs, calls: summary.calls.length, timeline: renderTimeline(summary) };
    });
    return {
      endpoints,
      queued: report.queued,
      queues: this.router.queueReport(),
      tenants: this.tenants.map((t) => ({ name: t.name, inFlight: t.inFlight, queued: t.queued })),
      runs,
      errors: [...this.errors],
    };
  }

  /** Streams snapshots to `res` (already answered 200 as text/event-stream) until it closes. */
  subscribe(res: ServerResponse): void {
    this.clients.add(res);
    res.once('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stop();
    });
    res.write(`data: ${JSON.stringify(this.snapshot())}\n\n`);
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
  }

  private tick(): void {
    const text = JSON.stringify(this.snapshot());
    const changed = text !== this.last;
    this.last = text;
    for (const res of this.clients) {
      // A page that reads nothing is not buffered for: it is cut off.
      if (res.writableNeedDrain) {
        res.destroy();
        continue;
      }
      res.write(changed ? `data: ${text}\n\n` : ': idle\n\n');
    }
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.last = '';
  }

  /** Ends every page's stream (the gateway is closing). */
  close(): void {
    this.stop();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
