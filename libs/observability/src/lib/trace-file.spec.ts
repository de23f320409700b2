import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { TraceFileSink } from './trace-file.sink';
import { parseTraceFile, readRunSummaries, readTraceFile } from './trace-file.reader';
import { sampleRun } from './testing/run-events.builder';
import { testEngine } from './testing/engine-run';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'flotilla-trace-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('trace file', () => {
  it('writes one file per run from a real engine run and reads it back', async () => {
    const sink = new TraceFileSink({ dir, now: () => 1_700_000_000_000 });
    const { run$ } = testEngine();
    const events = (await lastValueFrom(run$().pipe(tap(sink), toArray()))).filter((e) => e.type !== 'token');
    await lastValueFrom(run$().pipe(tap(sink), toArray()));
    await sink.flush();
    expect(sink.files).toHaveLength(2);
    const file = await readTraceFile(sink.files[0]!);
    expect(file.truncated).toBe(false);
    expect(file.skipped).toEqual([]);
    expect(file.runs).toHaveLength(1);
    const run = file.runs[0]!;
    expect(run.header).toMatchObject({ type: 'trace.header', version: 1, runId: events[0]!.runId, chain: 'test-pipeline', startedAt: 1_700_000_000_000 });
    expect(run.complete).toBe(true);
    expect(run.events.map((e) => e.type)).toEqual(events.map((e) => e.type));
    expect(run.events.map((e) => e.at)).toEqual(events.map((e) => e.at));
    const end = run.events.at(-1)!;
    expect(end.type === 'run.end' && end.result).toMatchObject({ status: 'succeeded', modelCalls: 4 });
    expect(end.type === 'run.end' && 'trace' in end.result).toBe(false);

    const [summary] = await readRunSummaries([sink.files[0]!]);
    expect(summary!.calls.map((c) => [c.agent, c.status])).toEqual([
      ['planner', 'succeeded'],
      ['coder', 'succeeded'],
      ['coder', 'succeeded'],
      ['coder', 'succeeded'],
    ]);
    expect(summary!.variants['coder']).toMatch(/^(big|small)$/);
    expect(await readRunSummaries([dir])).toHaveLength(2);
  });

  it('reads a file whose last line was cut short, keeping everything before it', async () => {
    const sink = new TraceFileSink({ dir });
    sampleRun('r1').forEach((e) => sink.next(e));
    await sink.flush();
    const text = await readFile(sink.files[0]!, 'utf8');
    const cut = text.slice(0, text.length - 25);
    const path = join(dir, 'cut.jsonl');
    await writeFile(path, cut);
    const file = await readTraceFile(path);
    expect(file.truncated).toBe(true);
    expect(file.skipped).toEqual([]);
    expect(file.runs[0]!.complete).toBe(false);
    expect(file.runs[0]!.events).toHaveLength(text.trim().split('\n').length - 2);
  });

  it('skips stray lines and separates several runs appended to one file', () => {
    const lines = [...sampleRun('r1'), ...sampleRun('r2')].map((e) => JSON.stringify(e));
    lines.splice(3, 0, 'not json', '{"hello":1}');
    const file = parseTraceFile('x.jsonl', lines.join('\n') + '\n');
    expect(file.runs.map((r) => [r.runId, r.complete])).toEqual([
      ['r1', true],
      ['r2', true],
    ]);
    expect(file.skipped.map((s) => s.line)).toEqual([4, 5]);
    expect(file.truncated).toBe(false);
  });

  it('masks secrets in error details and in the input', async () => {
    const KEY = 'sk-live-PLANTED0123456789abcdefXYZ';
    const sink = new TraceFileSink({ dir });
    const events = sampleRun('r1');
    (events[0] as { input: unknown }).input = { objective: 'x', apiKey: 'named-secret-value' };
    const err = events.find((e) => e.type === 'error')!;
    (err as { error: { details?: unknown } }).error.details = { headers: { Authorization: `Bearer ${KEY}` }, env: { OPENAI_API_KEY: KEY } };
    events.forEach((e) => sink.next(e));
    await sink.flush();
    const text = await readFile(sink.files[0]!, 'utf8');
    expect(text).not.toContain('PLANTED');
    expect(text).not.toContain('named-secret-value');
    expect(text).toContain('[REDACTED]');
  });
});

describe('trace file, shared layout', () => {
  it('appends every run to one file, in order, and the reader splits them', async () => {
    const sink = new TraceFileSink({ dir, layout: 'shared' });
    const { run$ } = testEngine();
    for (let i = 0; i < 5; i++) await lastValueFrom(run$().pipe(tap(sink), toArray()));
    sampleRun('r900').forEach((e) => sink.next(e));
    await sink.close();
    expect(sink.files).toHaveLength(1);
    const file = await readTraceFile(sink.files[0]!);
    expect(file.runs).toHaveLength(6);
    expect(file.runs.every((r) => r.complete && r.header !== undefined && r.events[0]!.type === 'run.start')).toBe(true);
    expect(file.truncated).toBe(false);
    const summaries = await readRunSummaries([dir]);
    expect(summaries.map((s) => s.calls.length)).toEqual([4, 4, 4, 4, 4, 5]);
  });
});

describe('trace file outputs', () => {
  it("keeps agent calls' outputs by default and leaves out structural steps' and the run's", async () => {
    const read = async (outputs?: boolean | 'calls') => {
      const sink = new TraceFileSink({ dir: join(dir, String(outputs)), outputs });
      await lastValueFrom(testEngine().run$().pipe(tap(sink), toArray()));
      await sink.flush();
      const events = (await readTraceFile(sink.files[0]!)).runs[0]!.events;
      const ends = events.filter((e) => e.type === 'step.end');
      const end = events.at(-1)!;
      return { calls: ends.filter((e) => e.kind === 'call' && e.output !== undefined).length, other: ends.filter((e) => e.kind !== 'call' && e.output !== undefined).length, runOutput: end.type === 'run.end' && end.result.output !== undefined };
    };
    expect(await read()).toEqual({ calls: 4, other: 0, runOutput: false });
    expect(await read(true)).toEqual({ calls: 4, other: 2, runOutput: true });
    expect(await read(false)).toEqual({ calls: 0, other: 0, runOutput: false });
  });
});
