// @flotilla/observability: sinks over the run event stream (traces, metrics, logs, trace
// files) and the reports built from trace files. Nothing here keeps its own bookkeeping:
// everything is derived from RunEvents.
export { REDACTED, redact, redactText, isSecretKey } from './lib/redact';
export { summarizeRun, tokensPerSecond } from './lib/run-summary';
export type { RunSummary, CallRecord, CallAttempt, ToolRecord } from './lib/run-summary';
export { TRACE_FILE_VERSION, TRACE_FILE_EXTENSION } from './lib/trace-file.format';
export type { TraceHeader } from './lib/trace-file.format';
export { TraceFileSink, DEFAULT_TRACE_FLUSH_LINES, TRACE_FILES_KEPT } from './lib/trace-file.sink';
export type { TraceFileSinkOptions } from './lib/trace-file.sink';
export { readTraceFile, parseTraceFile, expandTracePaths, readRunSummaries } from './lib/trace-file.reader';
export type { TraceFile, TraceRun } from './lib/trace-file.reader';
export { OtelSink, DEFAULT_TRACER_NAME, DEFAULT_GEN_AI_PROVIDER } from './lib/otel.sink';
export type { OtelSinkOptions } from './lib/otel.sink';
export { ATTR, GEN_AI_OPERATION } from './lib/otel.attributes';
export { createOtlpTracerProvider } from './lib/otel.provider';
export type { OtlpTracerProviderOptions } from './lib/otel.provider';
export { MetricsSink, DEFAULT_LATENCY_BUCKETS, DEFAULT_TOKENS_PER_SECOND_BUCKETS, DEFAULT_METRICS_PREFIX } from './lib/metrics.sink';
export type { MetricsSinkOptions } from './lib/metrics.sink';
export { startMetricsServer, DEFAULT_METRICS_PORT, DEFAULT_METRICS_HOST } from './lib/metrics.server';
export type { MetricsServer, MetricsServerOptions } from './lib/metrics.server';
export { LogSink, createLogger } from './lib/log.sink';
export type { LogSinkOptions, FlotillaLoggerOptions } from './lib/log.sink';
export { report, variantReport, formatVariantReport, DEFAULT_MIN_RUNS, DEFAULT_ALPHA } from './lib/variant-report';
export type { VariantReport, VariantReportOptions, VariantStats, VariantComparison, AgentVariants, TestResult } from './lib/variant-report';
export { median } from './lib/stats';

export { reportCommand, REPORT_USAGE } from './lib/report.command';
export type { ReportIO } from './lib/report.command';
export { renderHtmlReport, DEFAULT_MAX_TIMELINES, REPORT_CSS } from './lib/html-report';
export { renderTimeline } from './lib/html-timeline';
export type { HtmlReportOptions } from './lib/html-report';

export { FlotillaObserver } from './lib/flotilla.observer';
export type { FlotillaObserverOptions, RunEventSink } from './lib/flotilla.observer';
export { ProgressRenderer } from './lib/progress.renderer';
