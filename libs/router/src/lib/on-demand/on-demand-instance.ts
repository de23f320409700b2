import { type ChildProcess, spawn } from 'node:child_process';
import { FlotillaError } from '@flotilla/core';
import type { EndpointState } from '../endpoints/endpoint-state';
import { canonicalModel } from '../endpoints/model-name';
import type { HealthMonitor } from '../health/health-monitor';
import type { InstanceStarter } from './starter-registry';

export interface OnDemandInstanceOptions {
  /** num_ctx per model, used when warming (the same the router sends). */
  numCtx?: Readonly<Record<string, number>>;
  monitor?: HealthMonitor;
  log?: (line: string) => void;
  /** Readiness poll interval. @default 100 */
  pollMs?: number;
}

/** Grace period for a stopped server to exit before it is killed. */
const EXIT_GRACE_MS = 5_000;

/**
 * A heavy server the router starts when it is needed (queued work past the threshold, or a
 * call asking for a label only it has): runs the configured command (no shell), waits until
 * the server answers its probe, warms the configured models, and stops it once it has had
 * no call for `idleStopMs`. Only the process it started is ever signalled.
 */
export class OnDemandInstance implements InstanceStarter {
  readonly endpoint: string;
  readonly queueThreshold: number;
  private child: ChildProcess | undefined;
  private startup: Promise<void> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private retryAfter = 0;
  /** Times it was started and stopped, for reports and tests. */
  starts = 0;
  stops = 0;

  constructor(
    private readonly state: EndpointState,
    private readonly options: OnDemandInstanceOptions = {},
  ) {
    if (!state.config.onDemand) throw new FlotillaError('config', `endpoint ${state.name} has no onDemand section`);
    this.endpoint = state.name;
    this.queueThreshold = state.config.onDemand.queueThreshold;
  }

  get starting(): boolean {
    return this.startup !== undefined && !this.state.running;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** False for a while after a failed start, so a broken command is not retried in a loop. */
  get canStart(): boolean {
    return performance.now() >= this.retryAfter;
  }

  ensureStarted(): Promise<void> {
    if (this.state.running) return Promise.resolve();
    if (!this.startup && !this.canStart) return Promise.reject(this.failure('failed to start recently; not retrying yet'));
    this.startup ??= this.launch()
      .catch((e: unknown) => {
        this.retryAfter = performance.now() + Math.max(1_000, this.state.config.onDemand!.readyTimeoutMs);
        throw e;
      })
      .finally(() => (this.startup = undefined));
    return this.startup;
  }

  private async launch(): Promise<void> {
    const od = this.state.config.onDemand!;
    const [command, ...args] = od.start;
    this.options.log?.(`${this.endpoint}: starting ${od.start.join(' ')}`);
    const child = spawn(command!, args, { cwd: od.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.starts++;
    let exited: Error | undefined;
    child.once('exit', (code, signal) => {
      exited = new Error(`exited (${signal ?? code})`);
      if (this.child === child) this.onExit();
    });
    child.once('error', (e) => (exited = e));
    child.stdout?.resume();
    child.stderr?.resume();
    const deadline = performance.now() + od.readyTimeoutMs;
    for (;;) {
      if (exited) {
        this.child = undefined;
        throw this.failure(`exited before it was ready: ${exited.message}`);
      }
      if (await this.ready()) break;
      if (performance.now() >= deadline) {
        await this.stop();
        throw this.failure(`not ready within ${od.readyTimeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, this.options.pollMs ?? 100));
    }
    for (const model of od.warm) {
      const m = canonicalModel(model);
      await this.state.probe.warm?.(model, this.options.numCtx?.[m] ?? this.options.numCtx?.[model]);
      this.state.markUsed(model, 0);
    }
    this.state.breaker.success();
    this.state.running = true;
    this.state.lastUsedAt = performance.now();
    this.options.log?.(`${this.endpoint}: ready`);
    this.watchIdle(od.idleStopMs);
  }

  private async ready(): Promise<boolean> {
    const p = this.state.probe;
    try {
      const signal = AbortSignal.timeout(1_000);
      if (p.listModels) this.state.setAvailable(await p.listModels(signal));
      else if (p.ping) await p.ping(signal);
      if (p.loadedModels) this.state.syncLoaded(await p.loadedModels(signal));
      return true;
    } catch {
      return false;
    }
  }

  private watchIdle(idleStopMs: number): void {
    clearInterval(this.idleTimer);
    this.idleTimer = setInterval(() => {
      if (this.state.running && this.state.inFlight === 0 && performance.now() - this.state.lastUsedAt >= idleStopMs) void this.stop();
    }, Math.max(10, Math.min(1_000, idleStopMs / 4)));
    this.idleTimer.unref();
  }

  /** Stops the server (the stop command, else SIGTERM to the process it started). */
  async stop(): Promise<void> {
    clearInterval(this.idleTimer);
    this.idleTimer = undefined;
    const child = this.child;
    const wasRunning = this.state.running;
    this.state.running = false;
    this.state.loaded.clear();
    if (!child) return;
    this.child = undefined;
    if (wasRunning) this.stops++;
    this.options.log?.(`${this.endpoint}: stopping`);
    const exit = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()));
    const stop = this.state.config.onDemand!.stop;
    if (stop) spawn(stop[0]!, stop.slice(1), { cwd: this.state.config.onDemand!.cwd, stdio: 'ignore' }).once('error', () => child.kill('SIGTERM'));
    else child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
    await exit;
    clearTimeout(timer);
  }

  private onExit(): void {
    this.child = undefined;
    clearInterval(this.idleTimer);
    if (this.state.running) {
      this.state.running = false;
      this.state.loaded.clear();
      this.state.breaker.trip();
    }
  }

  private failure(what: string): FlotillaError {
    return new FlotillaError('unavailable', `on-demand endpoint ${this.endpoint} ${what}`, { details: { endpoint: this.endpoint } });
  }
}
