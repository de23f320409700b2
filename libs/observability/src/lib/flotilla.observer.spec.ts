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

describe('FlotillaObserver when the subscriber leaves mid-run', () => {
  it('ends the run\'s open spans, writes what it got and forgets the run', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-obs-'));
    try {
      const exporter = new InMemorySpanExporter();
      const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
      const observer = new FlotillaObserver({ otel: { tracer: provider.getTracer('t') }, metrics: true, traceFile: dir });
      // Coders never answer: the run parks mid-fan-out.
      const { run$ } = testEngine((req) => (req.model.startsWith('coder') ? { hang: true } : 'plan'));
      const seen: string[] = [];
      const sub = observer.observe(run$()).subscribe((e) => seen.push(e.type));
      await new Promise((r) => setTimeout(r, 20));
      expect(seen).not.toContain('run.end');
      sub.unsubscribe();
      await observer.flush();
      const spans = exporter.getFinishedSpans();
      const run = spans.find((s) => s.name === 'run test-pipeline')!;
      expect(run.status).toEqual({ code: 2, message: 'unsubscribed before the run ended' });
      expect(spans.filter((s) => s.name === 'invoke_agent coder')).toHaveLength(3);
      const [summary] = await readRunSummaries([dir]);
      expect(summary!.calls.map((c) => c.status)).toEqual(['succeeded', 'unfinished', 'unfinished', 'unfinished']);
      // Nothing of the run stays behind in the sinks.
      const otel = observer.otel as unknown as { spans: Map<string, unknown>; runs: Map<string, unknown> };
      expect([otel.spans.size, otel.runs.size]).toEqual([0, 0]);
      const traceFile = observer.traceFile as unknown as { runs: Map<string, unknown> };
      expect(traceFile.runs.size).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
