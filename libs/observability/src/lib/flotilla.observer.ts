import type { RunEvent, RunHandle } from '@flotilla/core';
import { OtelSink, type OtelSinkOptions } from './otel.sink';
import { MetricsSink, type MetricsSinkOptions } from './metrics.sink';
import { LogSink, type LogSinkOptions } from './log.sink';
import { TraceFileSink, type TraceFileSinkOptions } from './trace-file.sink';

/**
 * Anything that takes run events: every sink here, or your own. Events of many runs may
 * interleave, and step keys repeat across runs: keep state per run (by `runId`), and drop
 * it at the run's `run.end` or `abandon`.
 */
export interface RunEventSink {
  next(event: RunEvent): void;
  /** No more events will come for this run and it had no `run.end` (a stream cut short): drop its state. */
  abandon?(runId: string): void;
}

export interface FlotillaObserverOptions {
  /** Spans (`true`: the global tracer provider). */
  otel?: OtelSinkOptions | boolean;
  /** Prometheus metrics (`true`: a registry of its own). */
  metrics?: MetricsSinkOptions | boolean;
  /** Structured logs (`true`: info to stdout). */
  logs?: LogSinkOptions | boolean;
  /** A JSON-lines trace file per run in this directory. */
  traceFile?: TraceFileSinkOptions | string;
  /** More sinks, called after the built-in ones. */
  sinks?: RunEventSink[];
  /** Where a sink's exception goes (a sink never breaks a run). @default a process warning, once per sink */
  onSinkError?: (error: unknown, sink: RunEventSink) => void;
}

/**
 * Run events fanned out to the configured sinks: `observer.observe(flotilla.run(chain, input))`
 * for a run, `observer.next(event)` for events from elsewhere (a trace file). One observer
 * serves any number of runs, concurrent or not.
 */
export class FlotillaObserver implements RunEventSink {
  readonly otel?: OtelSink;
  readonly metrics?: MetricsSink;
  readonly logs?: LogSink;
  readonly traceFile?: TraceFileSink;
  readonly sinks: readonly RunEventSink[];
  private readonly onSinkError: (error: unknown, sink: RunEventSink) => void;

  constructor(options: FlotillaObserverOptions = {}) {
    const opt = <T>(v: T | boolean | undefined): T | undefined => (v === true ? ({} as T) : v === false ? undefined : v);
    const sinks: RunEventSink[] = [];
    const o = opt(options.otel);
    if (o) sinks.push((this.otel = new OtelSink(o)));
    const m = opt(options.metrics);
    if (m) sinks.push((this.metrics = new MetricsSink(m)));
    const l = opt(options.logs);
    if (l) sinks.push((this.logs = new LogSink(l)));
    const t = options.traceFile;
    if (t !== undefined) sinks.push((this.traceFile = new TraceFileSink(typeof t === 'string' ? { dir: t } : t)));
    sinks.push(...(options.sinks ?? []));
    this.sinks = sinks;
    const warned = new Set<RunEventSink>();
    this.onSinkError =
      options.onSinkError ??
      ((e, sink) => {
        if (warned.has(sink)) return;
        warned.add(sink);
        process.emitWarning(`flotilla observability sink ${sink.constructor.name} threw: ${String(e)}`);
      });
  }

  next(event: RunEvent): void {
    const sinks = this.sinks;
    for (let i = 0; i < sinks.length; i++) {
      try {
        sinks[i]!.next(event);
      } catch (e) {
        this.onSinkError(e, sinks[i]!);
      }
    }
  }

  /**
   * Feeds the run's events to the sinks, from `run.start` to `run.end`, and returns the
   * handle: `const run = observer.observe(flotilla.run(chain, input))`. The sinks have seen
   * `run.end` by the time `run.result` resolves. Call it as the run starts: a later call
   * still gets every event from the run's trace (token events only with `traceTokens`),
   * but the sinks read the wall clock at `run.start`, so span times and the trace file's
   * `startedAt` would be late by as much.
   */
  observe<H extends RunHandle<unknown>>(handle: H): H {
    handle.events.subscribe({ next: (e) => this.next(e) });
    return handle;
  }

  /** Tells every sink that a run will not end. */
  abandon(runId: string): void {
    for (const sink of this.sinks) {
      try {
        sink.abandon?.(runId);
      } catch (e) {
        this.onSinkError(e, sink);
      }
    }
  }

  /** Resolves when the trace files are written (spans and metrics need no flushing here). */
  async flush(): Promise<void> {
    await this.traceFile?.flush();
  }

  /** Flushes and closes the trace file (the tracer provider and logger are yours to shut down). */
  async close(): Promise<void> {
    await this.traceFile?.close();
  }
}
