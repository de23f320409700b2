import { Writable } from 'node:stream';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { RunEvent } from '@flotilla/core';
import { FlotillaObserver } from './flotilla.observer';
import { createLogger } from './log.sink';
import { readRunSummaries, readTraceFile } from './trace-file.reader';
import { testEngine } from './testing/engine-run';
import { parseExposition, sample } from './testing/exposition';
import { sampleRun } from './testing/run-events.builder';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'flotilla-obs-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

function tracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  return { exporter, tracer: provider.getTracer('t') };
}

/** How many runs each built-in sink still holds state for. */
function held(observer: FlotillaObserver): number[] {
  const size = (o: unknown, path: string[]) => (path.reduce((x, k) => (x as Record<string, unknown>)[k], o) as Map<string, unknown>).size;
  return [size(observer.otel, ['runs']), size(observer.metrics, ['open', 'runs']), size(observer.logs, ['calls', 'runs']), size(observer.traceFile, ['runs'])];
}

/** Coders never answer: a run parks mid-fan-out with three calls in flight. */
const hangingCoders = () => testEngine((req) => (req.model.startsWith('coder') ? { hang: true } : { text: 'plan', firstTokenDelayMs: 2 }));

describe('FlotillaObserver', () => {
  it('feeds every sink from a run handle, from run.start to run.end, before the result resolves', async () => {
    const { exporter, tracer } = tracing();
    const lines: string[] = [];
    const destination = new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) });
    const seen: RunEvent[] = [];
    const observer = new FlotillaObserver({
      otel: { tracer },
      metrics: true,
      logs: { logger: createLogger({ level: 'debug', destination }) },
      traceFile: dir,
      sinks: [{ next: (e) => seen.push(e) }],
    });
    // Replies take a few ms: the observer sees the run live, not replayed.
    const { start, flotilla } = testEngine(() => ({ text: 'ok', firstTokenDelayMs: 2 }));
    const run = observer.observe(start());
    expect(seen[0]!.type).toBe('run.start');
    expect(seen.map((e) => e.type)).not.toContain('run.end');
    const result = await run.result;
    expect(result.status).toBe('succeeded');
    expect(seen.at(-1)).toMatchObject({ type: 'run.end', result: { runId: run.runId } });
    expect(seen.filter((e) => e.type !== 'token')).toEqual([...result.trace, seen.at(-1)]);
    await observer.flush();
    expect(exporter.getFinishedSpans().filter((s) => s.attributes['flotilla.run_id'] === run.runId).length).toBeGreaterThan(5);
    const samples = parseExposition(await observer.metrics!.registry.metrics());
    expect(sample(samples, 'flotilla_runs_total', { chain: 'test-pipeline', status: 'succeeded' })).toBe(1);
    expect(lines.join('')).toContain('call finished');
    expect((await readRunSummaries([dir]))[0]!.calls.map((c) => c.key)).toEqual(['0', 'code/step[0]', 'code/step[1]', 'code/step[2]']);
    expect(held(observer)).toEqual([0, 0, 0, 0]);
    await flotilla.close();
  });

  it('observes a run late: the handle replays its events so far, and the sinks still see all of it', async () => {
    const { start, flotilla } = hangingCoders();
    const early: RunEvent[] = [];
    const late: RunEvent[] = [];
    const run = new FlotillaObserver({ sinks: [{ next: (e) => early.push(e) }] }).observe(start());
    await new Promise((r) => setTimeout(r, 30));
    const observer = new FlotillaObserver({ metrics: true, traceFile: dir, sinks: [{ next: (e) => late.push(e) }] });
    expect(observer.observe(run)).toBe(run);
    // Caught up at once: the run's start and every step event so far, coders in flight.
    expect(late.filter((e) => e.type === 'step.start' && e.kind === 'call').map((e) => (e as { key: string }).key)).toEqual(['0', 'code/step[0]', 'code/step[1]', 'code/step[2]']);
    await run.cancel();
    expect(late).toEqual(early.filter((e) => e.type !== 'token'));
    await observer.flush();
    const [summary] = await readRunSummaries([dir]);
    expect(summary!.calls.map((c) => [c.key, c.status, c.error?.kind])).toEqual([
      ['0', 'succeeded', undefined],
      ['code/step[0]', 'failed', 'aborted'],
      ['code/step[1]', 'failed', 'aborted'],
      ['code/step[2]', 'failed', 'aborted'],
    ]);
    expect(summary!.status).toBe('cancelled');
    await flotilla.close();
  });

  it('keeps the run going when a sink throws, and hands each failure to onSinkError', async () => {
    const errors: unknown[] = [];
    const bad = {
      next: () => {
        throw new Error('sink broke');
      },
    };
    const seen: string[] = [];
    const observer = new FlotillaObserver({ sinks: [bad, { next: (e) => seen.push(e.type) }], onSinkError: (e) => errors.push(e) });
    const result = await observer.observe(testEngine().start()).result;
    expect(result.status).toBe('succeeded');
    expect(seen).toEqual([...result.trace.map((e) => e.type), 'run.end']);
    expect(errors).toHaveLength(seen.length);
  });
});

describe('FlotillaObserver when a run ends early', () => {
  it('records a cancelled run whole: open spans end as aborted, the trace file is complete, nothing stays behind', async () => {
    const { exporter, tracer } = tracing();
    const observer = new FlotillaObserver({ otel: { tracer }, metrics: true, logs: { logger: createLogger({ level: 'silent' }) }, traceFile: dir });
    const { start, flotilla } = hangingCoders();
    const run = observer.observe(start());
    await new Promise((r) => setTimeout(r, 30));
    await run.cancel();
    await observer.flush();
    const spans = exporter.getFinishedSpans();
    const root = spans.find((s) => s.name === 'run test-pipeline')!;
    expect([root.status.code, root.attributes['flotilla.status'], root.attributes['error.type']]).toEqual([SpanStatusCode.ERROR, 'cancelled', 'aborted']);
    const coders = spans.filter((s) => s.name === 'invoke_agent coder');
    expect(coders.map((s) => [s.attributes['flotilla.step.key'], s.attributes['error.type']]).sort()).toEqual([
      ['code/step[0]', 'aborted'],
      ['code/step[1]', 'aborted'],
      ['code/step[2]', 'aborted'],
    ]);
    const samples = parseExposition(await observer.metrics!.registry.metrics());
    expect(samples.filter((s) => s.name === 'flotilla_call_failures_total' && s.labels['error_kind'] === 'aborted').reduce((n, s) => n + s.value, 0)).toBe(3);
    const file = await readTraceFile(observer.traceFile!.files[0]!);
    expect(file.runs[0]!.complete).toBe(true);
    expect(held(observer)).toEqual([0, 0, 0, 0]);
    await flotilla.close();
  });

  it('abandons a run whose events stop short (a crashed process\'s trace): spans end, state goes, the events so far are written', async () => {
    const { exporter, tracer } = tracing();
    const observer = new FlotillaObserver({ otel: { tracer }, metrics: true, logs: { logger: createLogger({ level: 'silent' }) }, traceFile: dir });
    const events = sampleRun('r7');
    const cut = events.findIndex((e) => e.type === 'step.end' && e.key === 'workers/step[1]');
    events.slice(0, cut + 1).forEach((e) => observer.next(e));
    expect(held(observer)).toEqual([1, 1, 1, 1]);
    observer.abandon('r7');
    expect(held(observer)).toEqual([0, 0, 0, 0]);
    await observer.flush();
    const open = exporter.getFinishedSpans().filter((s) => s.attributes['error.type'] === 'aborted');
    expect(open.map((s) => s.attributes['flotilla.step.key'] ?? s.name).sort()).toEqual(['', 'run pipeline', 'workers', 'workers/step[2]']);
    const run = (await readTraceFile(observer.traceFile!.files[0]!)).runs[0]!;
    expect([run.complete, run.events.length]).toEqual([false, cut + 1]);
  });
});
