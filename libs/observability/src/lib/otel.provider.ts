import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace-base';

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
  const resource = defaultResource().merge(
    resourceFromAttributes({ 'service.name': process.env['OTEL_SERVICE_NAME'] ?? options.serviceName ?? 'flotilla', ...envResourceAttributes() }),
  );
  return new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(options.exporter ?? new OTLPTraceExporter()), ...(options.processors ?? [])],
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
