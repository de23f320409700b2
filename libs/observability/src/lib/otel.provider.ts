import { requireOptionalPeer } from '@flotilla/core';
import type { BasicTracerProvider, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** The OpenTelemetry SDK packages the OTLP provider needs: optional peers, loaded when it is made. */
const OTEL_INSTALL = 'npm install @opentelemetry/exporter-trace-otlp-http @opentelemetry/resources @opentelemetry/sdk-trace-base';

function otel<T>(name: string): T {
  return requireOptionalPeer<T>(require, { name, neededBy: 'createOtlpTracerProvider (@flotilla/observability)', install: OTEL_INSTALL });
}

export interface OtlpTracerProviderOptions {
  /** `service.name` when `OTEL_SERVICE_NAME` is not set. @default 'flotilla' */
  serviceName?: string;
  /** Instead of the OTLP/HTTP exporter (tests, a console exporter). */
  exporter?: SpanExporter;
  /** Extra processors (e.g. a SimpleSpanProcessor over an in-memory exporter). */
  processors?: SpanProcessor[];
}

/**
 * A tracer provider exporting over OTLP/HTTP in batches, configured the standard way:
 * the exporter reads `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
 * `OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`...; the resource reads
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`. Call `shutdown()` before exit.
 */
export function createOtlpTracerProvider(options: OtlpTracerProviderOptions = {}): BasicTracerProvider {
  const sdk = otel<typeof import('@opentelemetry/sdk-trace-base')>('@opentelemetry/sdk-trace-base');
  const { defaultResource, resourceFromAttributes } = otel<typeof import('@opentelemetry/resources')>('@opentelemetry/resources');
  const exporter = options.exporter ?? new (otel<typeof import('@opentelemetry/exporter-trace-otlp-http')>('@opentelemetry/exporter-trace-otlp-http').OTLPTraceExporter)();
  const resource = defaultResource().merge(
    resourceFromAttributes({ 'service.name': process.env['OTEL_SERVICE_NAME'] ?? options.serviceName ?? 'flotilla', ...envResourceAttributes() }),
  );
  return new sdk.BasicTracerProvider({
    resource,
    spanProcessors: [new sdk.BatchSpanProcessor(exporter), ...(options.processors ?? [])],
  });
}

function envResourceAttributes(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (process.env['OTEL_RESOURCE_ATTRIBUTES'] ?? '').split(',')) {
    const i = pair.indexOf('=');
    if (i > 0) out[decodeURIComponent(pair.slice(0, i).trim())] = decodeURIComponent(pair.slice(i + 1).trim());
  }
  return out;
}
