// Run by otel.sink.spec.ts in a child process (the OTLP/HTTP exporter loads its transport
// with a dynamic import, which jest's CommonJS sandbox refuses): one engine run, exported
// wherever the standard OTEL_* environment points.
import { FlotillaObserver } from '../flotilla.observer';
import { createOtlpTracerProvider } from '../otel.provider';
import { testEngine } from './engine-run';

async function main(): Promise<void> {
  const provider = createOtlpTracerProvider({ serviceName: 'flotilla-default-name' });
  const observer = new FlotillaObserver({ otel: { tracer: provider.getTracer('test') } });
  const { flotilla, start } = testEngine();
  const result = await observer.observe(start()).result;
  if (result.status !== 'succeeded') throw new Error(`run ${result.status}: ${result.error?.message}`);
  await flotilla.close();
  await provider.forceFlush();
  await provider.shutdown();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
