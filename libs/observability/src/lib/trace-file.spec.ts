import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { RunEvent } from '@flotilla/core';
import { TraceFileSink } from './trace-file.sink';
import { TRACE_FILE_VERSION } from './trace-file.format';
import { parseTraceFile, readRunSummaries, readTraceFile } from './trace-file.reader';
import { sampleRun } from './testing/run-events.builder';
import { testEngine } from './testing/engine-run';
import { FlotillaObserver } from './flotilla.observer';
import { summarizeRun } from './run-summary';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'flotilla-trace-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('trace file', () => {
  it('keeps a run.waiting line with its question; the value under review only when outputs are kept', async () => {
    const waiting = (runId: string): RunEvent[] => [
      { type: 'run.start', runId, at: 0, startedAt: 1_700_000_000_000, chain: 'c', input: 'x' },
      { type: 'run.waiting', runId, at: 1, question: { stepKey: 'check', question: 'Publish?', value: 'the draft text' } },
    ];
    for (const [outputs, kept] of [[false, false], ['calls', true]] as const) {
      const sink = new TraceFileSink({ dir: join(dir, String(outputs)), outputs, now: () => 1_700_000_000_000 });
      waiting(`w-${String(outputs)}`).forEach((e) => sink.next(e));
      await sink.flush();
      const text = await readFile(sink.files[0]!, 'utf8');
      expect(text).toContain('"type":"run.waiting"');
      expect(text).toContain('Publish?');
      expect(text.includes('the draft text')).toBe(kept);
    }
  });

  it('writes one file per run from a real engine run and reads it back', async () => {
    const sink = new TraceFileSink({ dir, now: () => 1_700_000_000_000 });
    const engine = testEngine();
    const events = (await engine.run()).filter((e) => e.type !== 'token');
    const second = await engine.run();
    [...events, ...second].forEach((e) => sink.next(e));
    await sink.flush();
    expect(sink.files).toHaveLength(2);
    // Named by time, chain and run id (unique across processes): two runs in one millisecond never share a file.
    expect(sink.files.map((f) => basename(f))).toEqual([events[0]!.runId, second[0]!.runId].map((id) => `2023-11-14T22-13-20-000Z-test-pipeline-${id}.jsonl`));
    const file = await readTraceFile(sink.files[0]!);
    expect(file.truncated).toBe(false);
    expect(file.skipped).toEqual([]);
    expect(file.runs).toHaveLength(1);
    const run = file.runs[0]!;
    expect(run.header).toMatchObject({ type: 'trace.header', version: 2, runId: events[0]!.runId, chain: 'test-pipeline', startedAt: 1_700_000_000_000, pid: process.pid });
    expect(TRACE_FILE_VERSION).toBe(2);
    expect(run.complete).toBe(true);
    expect(run.events.map((e) => e.type)).toEqual(events.map((e) => e.type));
    expect(run.events.map((e) => e.at)).toEqual(events.map((e) => e.at));
    const keyed = (es: readonly RunEvent[]) => es.flatMap((e) => (e.type === 'step.start' ? [[e.key, e.parentKey ?? null, e.name, e.kind]] : []));
    expect(keyed(run.events)).toEqual(keyed(events));
    expect(keyed(run.events)).toEqual([
      ['', null, 'sequence', 'sequence'],
      ['0', '', 'planner', 'call'],
      ['code', '', 'code', 'fanOut'],
      ['code/step[0]', 'code', 'coder', 'call'],
      ['code/step[1]', 'code', 'coder', 'call'],
      ['code/step[2]', 'code', 'coder', 'call'],
    ]);
    const end = run.events.at(-1)!;
    expect(end.type === 'run.end' && end.result).toMatchObject({ status: 'succeeded', modelCalls: 4 });
    expect(end.type === 'run.end' && 'trace' in end.result).toBe(false);

    const [summary] = await readRunSummaries([sink.files[0]!]);
    expect(summary!.calls.map((c) => [c.key, c.agent, c.status])).toEqual([
      ['0', 'planner', 'succeeded'],
      ['code/step[0]', 'coder', 'succeeded'],
      ['code/step[1]', 'coder', 'succeeded'],
      ['code/step[2]', 'coder', 'succeeded'],
    ]);
    expect(summary!.variants['coder']).toMatch(/^(big|small)$/);
    expect(await readRunSummaries([dir])).toHaveLength(2);
  });

  it("names a file after a caller's run id with only file-name-safe characters", async () => {
    const sink = new TraceFileSink({ dir, now: () => 1_700_000_000_000 });
    sampleRun('nightly:job.42').forEach((e) => sink.next(e));
    await sink.flush();
    expect(basename(sink.files[0]!)).toBe('2023-11-14T22-13-20-000Z-pipeline-nightly_job_42.jsonl');
    expect((await readTraceFile(sink.files[0]!)).runs[0]!.runId).toBe('nightly:job.42');
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
    const err = events.find((e) => e.type === 'step.error')!;
    (err as { error: { details?: unknown } }).error.details = { headers: { Authorization: `Bearer ${KEY}` }, env: { OPENAI_API_KEY: KEY } };
    events.forEach((e) => sink.next(e));
    await sink.flush();
    const text = await readFile(sink.files[0]!, 'utf8');
    expect(text).not.toContain('PLANTED');
    expect(text).not.toContain('named-secret-value');
    expect(text).toContain('[REDACTED]');
  });
});

describe('trace file format version 1', () => {
  it('reads runs written before step keys: span ids stand in for keys, error events become step.error', () => {
    // As version 1 wrote them: span ids in completion order, `step`, `error`, run events with an `id`.
    const v1 = [
      { type: 'trace.header', version: 1, runId: 'r1', chain: 'pipeline', startedAt: 1_700_000_000_000, pid: 42 },
      { type: 'run.start', runId: 'r1', id: 'r1', at: 0, chain: 'pipeline', input: 'x' },
      { type: 'step.start', runId: 'r1', id: 'r1.1', parentId: 'r1', at: 0, step: 'sequence', kind: 'sequence' },
      { type: 'step.start', runId: 'r1', id: 'r1.2', parentId: 'r1.1', at: 1, step: 'manager', kind: 'call', agent: 'manager', model: 'planner-3b', variant: 'fast' },
      { type: 'retry', runId: 'r1', id: 'r1.2', at: 20, attempt: 1, delayMs: 5, error: { kind: 'overloaded', message: 'busy', retryable: true } },
      { type: 'step.end', runId: 'r1', id: 'r1.2', parentId: 'r1.1', at: 90, step: 'manager', kind: 'call', output: 'plan', call: { agent: 'manager', model: 'planner-3b', endpoint: 'gpu-a', attempts: 2, usage: { promptTokens: 10, completionTokens: 20 }, timings: { totalMs: 60 }, variant: 'fast' } },
      { type: 'step.start', runId: 'r1', id: 'r1.3', parentId: 'r1.1', at: 91, step: 'reviewer', kind: 'call', agent: 'reviewer', model: 'critic-3b' },
      { type: 'error', runId: 'r1', id: 'r1.3', parentId: 'r1.1', at: 120, step: 'reviewer', kind: 'call', error: { kind: 'timeout', message: 'late', retryable: true } },
      { type: 'error', runId: 'r1', id: 'r1.1', parentId: 'r1', at: 120, step: 'sequence', kind: 'sequence', error: { kind: 'timeout', message: 'late', retryable: true } },
      { type: 'run.end', runId: 'r1', id: 'r1', at: 121, result: { runId: 'r1', chain: 'pipeline', status: 'failed', error: { kind: 'timeout', message: 'late', retryable: true }, usage: { promptTokens: 10, completionTokens: 20 }, modelCalls: 3, variants: { manager: 'fast' }, durationMs: 121 } },
    ];
    const [run] = parseTraceFile('old.jsonl', v1.map((l) => JSON.stringify(l)).join('\n') + '\n').runs;
    expect(run!.header!.version).toBe(1);
    expect(run!.events.map((e) => [e.type, 'key' in e ? e.key : null, 'parentKey' in e ? e.parentKey : null, 'name' in e ? e.name : null])).toEqual([
      ['run.start', null, null, null],
      ['step.start', 'r1.1', null, 'sequence'],
      ['step.start', 'r1.2', 'r1.1', 'manager'],
      ['retry', 'r1.2', null, null],
      ['step.end', 'r1.2', 'r1.1', 'manager'],
      ['step.start', 'r1.3', 'r1.1', 'reviewer'],
      ['step.error', 'r1.3', 'r1.1', 'reviewer'],
      ['step.error', 'r1.1', null, 'sequence'],
      ['run.end', null, null, null],
    ]);
    expect(run!.events.some((e) => 'id' in e && e.id !== undefined)).toBe(false);
    const summary = summarizeRun(run!.events, run!.header!.startedAt);
    expect(summary.calls.map((c) => [c.key, c.name, c.status, c.retries, c.endpoint])).toEqual([
      ['r1.2', 'manager', 'succeeded', 1, 'gpu-a'],
      ['r1.3', 'reviewer', 'failed', 0, undefined],
    ]);
    expect(summary).toMatchObject({ status: 'failed', variants: { manager: 'fast' }, durationMs: 121 });
  });
});

describe('trace file, shared layout', () => {
  it('appends every run to one file, in order, and the reader splits them', async () => {
    const sink = new TraceFileSink({ dir, layout: 'shared', now: () => 1_700_000_000_000 });
    const observer = new FlotillaObserver({ sinks: [sink] });
    const { start } = testEngine();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await observer.observe(start()).result).runId);
    sampleRun('r900').forEach((e) => sink.next(e));
    await sink.close();
    // Named after its first run: two sinks never share a file, in one process or many.
    expect(sink.files.map((f) => basename(f))).toEqual([`2023-11-14T22-13-20-000Z-${ids[0]}.jsonl`]);
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
      (await testEngine().run()).forEach((e) => sink.next(e));
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
