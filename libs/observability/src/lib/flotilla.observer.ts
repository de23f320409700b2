import { type MonoTypeOperatorFunction, Observable } from 'rxjs';
import type { RunEvent } from '@flotilla/core';
import { OtelSink, type OtelSinkOptions } from './otel.sink';
import { MetricsSink, type MetricsSinkOptions } from './metrics.sink';
import { LogSink, type LogSinkOptions } from './log.sink';
import { TraceFileSink, type TraceFileSinkOptions } from './trace-file.sink';

/** Anything that takes run events: every sink here, or your own. */
export interface RunEventSink {
  next(event: RunEvent): void;
  /** The run's subscriber left before `run.end` (no more events will come): drop its state. */
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
 * The run event stream fanned out to the configured sinks:
 * `observer.observe(engine.run$(chain, input))` or `run$.pipe(observer.operator())`.
 * One observer serves any number of runs, concurrent or not.
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

  /** The run's events, passed through unchanged after the sinks saw each. */
  observe(run$: Observable<RunEvent>): Observable<RunEvent> {
    return run$.pipe(this.operator());
  }

  /**
   * Passes each event to the sinks, then on. A subscriber that leaves before `run.end`
   * (an unsubscribe rather than an abort signal: the engine then emits nothing more)
   * has the sinks drop the run, so nothing stays open.
   */
  operator(): MonoTypeOperatorFunction<RunEvent> {
    return (source) =>
      new Observable<RunEvent>((subscriber) => {
        let runId: string | undefined;
        let ended = false;
        const sub = source.subscribe({
          next: (e) => {
            runId ??= e.runId;
            if (e.type === 'run.end') ended = true;
            this.next(e);
            subscriber.next(e);
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => subscriber.complete(),
        });
        return () => {
          sub.unsubscribe();
          if (runId !== undefined && !ended) this.abandon(runId);
        };
      });
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

/** `run$.pipe(withSinks(a, b))`: each event to each sink, a sink's exception never breaks the run. */
export function withSinks(...sinks: RunEventSink[]): MonoTypeOperatorFunction<RunEvent> {
  return new FlotillaObserver({ sinks }).operator();
}
