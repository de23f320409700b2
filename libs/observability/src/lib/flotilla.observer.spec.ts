import { Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { lastValueFrom, toArray } from 'rxjs';
import type { RunEvent } from '@flotilla/core';
import { FlotillaObserver, withSinks } from './flotilla.observer';
import { createLogger } from './log.sink';
import { readRunSummaries } from './trace-file.reader';
import { testEngine } from './testing/engine-run';
import { parseExposition } from './testing/exposition';

describe('FlotillaObserver', () => {
  it('feeds every sink from one run stream and passes the events through', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-obs-'));
    try {
      const exporter = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      const lines: string[] = [];
      const destination = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) });
      const seen: RunEvent[] = [];
      const observer = new FlotillaObserver({
        otel: { tracer: provider.getTracer('t') },
        metrics: true,
        logs: { logger: createLogger({ level: 'debug', destination }) },
        traceFile: dir,
        sinks: [{ next: (e) => seen.push(e) }],
      });
      const { run$ } = testEngine();
      const events = await lastValueFrom(observer.observe(run$()).pipe(toArray()));
      await observer.flush();
      expect(seen).toEqual(events);
      expect(exporter.getFinishedSpans().length).toBeGreaterThan(5);
      const samples = parseExposition(await observer.metrics!.registry.metrics());
      expect(samples.some((s) => s.name === 'flotilla_call_successes_total' && s.value > 0)).toBe(true);
      expect(lines.join('')).toContain('call finished');
      expect((await readRunSummaries([dir]))[0]!.calls).toHaveLength(4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the run going when a sink throws, and reports the sink once', async () => {
    const errors: unknown[] = [];
    const bad = {
      next: () => {
        throw new Error('sink broke');
      },
    };
    const seen: string[] = [];
    const observer = new FlotillaObserver({ sinks: [bad, { next: (e) => seen.push(e.type) }], onSinkError: (e) => errors.push(e) });
    const events = await lastValueFrom(observer.observe(testEngine().run$()).pipe(toArray()));
    expect(events.at(-1)).toMatchObject({ type: 'run.end', result: { status: 'succeeded' } });
    expect(seen).toEqual(events.map((e) => e.type));
    expect(errors).toHaveLength(events.length);

    const types: string[] = [];
    const end = await lastValueFrom(testEngine().run$().pipe(withSinks({ next: (e) => types.push(e.type) }), toArray()));
    expect(types).toHaveLength(end.length);
  });
});
