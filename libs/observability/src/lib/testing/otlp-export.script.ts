// Run by otel.sink.spec.ts in a child process (the OTLP/HTTP exporter loads its transport
// with a dynamic import, which jest's CommonJS sandbox refuses): one engine run, exported
// wherever the standard OTEL_* environment points.
import { lastValueFrom, tap, toArray } from 'rxjs';
import { createOtlpTracerProvider } from '../otel.provider';
import { OtelSink } from '../otel.sink';
import { testEngine } from './engine-run';

async function main(): Promise<void> {
  const provider = createOtlpTracerProvider({ serviceName: 'flotilla-default-name' });
  const sink = new OtelSink({ tracer: provider.getTracer('test') });
  await lastValueFrom(testEngine().run$().pipe(tap(sink), toArray()));
  await provider.forceFlush();
  await provider.shutdown();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
