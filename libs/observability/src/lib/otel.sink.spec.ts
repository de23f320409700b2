import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AlwaysOffSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { OtelSink } from './otel.sink';
import { sampleRun } from './testing/run-events.builder';
import { testEngine } from './testing/engine-run';

const T0 = 1_700_000_000_000;
const ROOT = join(__dirname, '../../../..');
const ms = (t: [number, number]) => t[0] * 1000 + t[1] / 1e6;

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const sink = new OtelSink({ tracer: provider.getTracer('test'), now: () => T0, provider: (endpoint) => (endpoint === 'gpu-b' ? 'ollama' : 'llama.cpp') });
  return { exporter, sink };
}

/** Runs whose spans the sink still holds. */
const openRuns = (sink: OtelSink) => (sink as unknown as { runs: Map<string, unknown> }).runs.size;
const byName = (spans: ReadableSpan[], name: string) => spans.filter((s) => s.name === name);
const parentOf = (spans: ReadableSpan[], s: ReadableSpan) => spans.find((p) => p.spanContext().spanId === s.parentSpanContext?.spanId);

describe('OtelSink', () => {
  it('builds the span tree of a run: run > steps > model-call attempts, at the events\' times', () => {
    const { exporter, sink } = setup();
    const events = sampleRun('r9', 'fast');
    events.forEach((e) => sink.next(e));
    const spans = exporter.getFinishedSpans();
    // run + 7 steps (sequence, manager, fan-out, 3 workers, reviewer) + 6 model calls (one worker retried).
    expect(spans).toHaveLength(14);
    const [run] = byName(spans, 'run pipeline');
    expect(run!.parentSpanContext).toBeUndefined();
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(1);

    const seq = byName(spans, 'sequence')[0]!;
    expect(parentOf(spans, seq)).toBe(run);
    const fan = byName(spans, 'fanOut workers')[0]!;
    expect(parentOf(spans, fan)).toBe(seq);
    const workers = byName(spans, 'invoke_agent worker');
    expect(workers).toHaveLength(3);
    for (const w of workers) expect(parentOf(spans, w)).toBe(fan);
    // One name, three keys: the key tells the fan-out's items apart.
    expect(workers.map((w) => [w.attributes['flotilla.step'], w.attributes['flotilla.step.key']]).sort()).toEqual([
      ['worker', 'workers/step[0]'],
      ['worker', 'workers/step[1]'],
      ['worker', 'workers/step[2]'],
    ]);
    expect([seq, fan].map((s) => s.attributes['flotilla.step.key'])).toEqual(['', 'workers']);
    expect(parentOf(spans, byName(spans, 'invoke_agent manager')[0]!)).toBe(seq);

    // Every step span starts and ends at its events' times.
    for (const e of events) {
      if (e.type !== 'step.start') continue;
      const end = events.find((x) => (x.type === 'step.end' || x.type === 'step.error') && x.key === e.key)!;
      const span = spans.filter((s) => s.attributes['flotilla.step.key'] === e.key && s.kind === SpanKind.INTERNAL);
      expect(span).toHaveLength(1);
      expect(span[0]!.attributes).toMatchObject({ 'flotilla.step': e.name, 'flotilla.step.kind': e.kind, 'flotilla.run_id': 'r9' });
      expect([ms(span[0]!.startTime), ms(span[0]!.endTime)]).toEqual([T0 + e.at, T0 + end.at]);
    }
    expect(ms(run!.startTime)).toBe(T0);
    expect(ms(run!.endTime)).toBe(T0 + 301);

    // Model calls: children of their agent step; the retried worker has two attempts.
    const chats = spans.filter((s) => s.name.startsWith('chat '));
    expect(chats).toHaveLength(6);
    for (const c of chats) {
      expect(c.kind).toBe(SpanKind.CLIENT);
      expect(parentOf(spans, c)!.name).toMatch(/^invoke_agent /);
    }
    const retried = workers.find((w) => w.attributes['flotilla.index'] === 2)!;
    const attempts = chats.filter((c) => parentOf(spans, c) === retried).sort((a, b) => ms(a.startTime) - ms(b.startTime));
    expect(attempts.map((a) => [ms(a.startTime) - T0, ms(a.endTime) - T0, a.status.code, a.attributes['flotilla.attempt']])).toEqual([
      [122, 150, SpanStatusCode.ERROR, 0],
      [160, 260, SpanStatusCode.UNSET, 1],
    ]);
    expect(attempts[0]!.attributes['error.type']).toBe('overloaded');
    expect(attempts[1]!.attributes).toEqual({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'ollama',
      'gen_ai.system': 'ollama',
      'gen_ai.agent.name': 'worker',
      'gen_ai.request.model': 'coder-7b',
      'gen_ai.response.model': 'coder-7b',
      'gen_ai.usage.input_tokens': 40,
      'gen_ai.usage.output_tokens': 20,
      'flotilla.agent': 'worker',
      'flotilla.endpoint': 'gpu-b',
      'flotilla.variant': 'fast',
      'flotilla.attempt': 1,
      'flotilla.retry_count': 1,
      'flotilla.queue_ms': 2,
      'flotilla.ttft_ms': 30,
      'flotilla.total_ms': 90,
      'flotilla.tokens_per_second': (20 * 1000) / 60,
    });
    expect(retried.attributes).toMatchObject({ 'gen_ai.operation.name': 'invoke_agent', 'flotilla.retry_count': 1, 'flotilla.variant': 'fast', 'flotilla.endpoint': 'gpu-b' });
    const manager = chats.find((c) => c.attributes['gen_ai.agent.name'] === 'manager')!;
    expect(manager.attributes).toMatchObject({ 'flotilla.load_ms': 60, 'flotilla.queue_ms': 5, 'flotilla.ttft_ms': 80, 'gen_ai.provider.name': 'llama.cpp' });

    // The reviewer timed out: its step, its one attempt and the run are errors.
    const reviewer = byName(spans, 'invoke_agent reviewer')[0]!;
    expect(reviewer.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no first token within 30 ms' });
    expect(chats.find((c) => parentOf(spans, c) === reviewer)!.attributes['error.type']).toBe('timeout');
    expect(run!.status.code).toBe(SpanStatusCode.ERROR);
    expect(run!.attributes).toMatchObject({ 'flotilla.status': 'failed', 'flotilla.model_calls': 6, 'flotilla.variant.worker': 'fast' });
  });

  it("with steps: 'calls', hangs agent steps straight under the run and leaves structural steps out", () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const sink = new OtelSink({ tracer: provider.getTracer('test'), now: () => T0, steps: 'calls' });
    sampleRun('r9').forEach((e) => sink.next(e));
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1 + 5 + 6);
    const run = byName(spans, 'run pipeline')[0]!;
    for (const s of spans.filter((x) => x.name.startsWith('invoke_agent '))) expect(parentOf(spans, s)).toBe(run);
    expect(ms(run.endTime)).toBe(T0 + 301);
    expect(openRuns(sink)).toBe(0);
  });

  it('records nothing of an unsampled run, and keeps nothing of it once it ends', () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ sampler: new AlwaysOffSampler(), spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const sink = new OtelSink({ tracer: provider.getTracer('test'), now: () => T0 });
    const events = sampleRun('r9');
    events.slice(0, -1).forEach((e) => sink.next(e));
    expect(openRuns(sink)).toBe(1);
    sink.next(events.at(-1)!);
    expect([exporter.getFinishedSpans().length, openRuns(sink)]).toEqual([0, 0]);
  });

  it('keeps concurrent runs of one chain apart: the same keys, a span tree each', () => {
    const { exporter, sink } = setup();
    const a = sampleRun('r1');
    const b = sampleRun('r2');
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i]) sink.next(a[i]!);
      if (b[i]) sink.next(b[i]!);
    }
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(28);
    expect(new Set(spans.map((s) => s.spanContext().traceId)).size).toBe(2);
    // Every step span sits in its own run's trace, under a parent of its own run.
    for (const s of spans.filter((x) => x.attributes['flotilla.step.key'] !== undefined)) {
      const run = spans.find((r) => r.name === 'run pipeline' && r.attributes['flotilla.run_id'] === s.attributes['flotilla.run_id'])!;
      expect(s.spanContext().traceId).toBe(run.spanContext().traceId);
      expect(parentOf(spans, s)!.attributes['flotilla.run_id']).toBe(s.attributes['flotilla.run_id']);
    }
    expect(openRuns(sink)).toBe(0);
  });

  it('ends the open spans of a run whose events stop short, as aborted, and forgets the run', () => {
    const { exporter, sink } = setup();
    const events = sampleRun('r9');
    // Cut after the fan-out started: the root sequence, the fan-out and two workers are open.
    const cut = events.findIndex((e) => e.type === 'step.end' && e.key === 'workers/step[0]');
    events.slice(0, cut + 1).forEach((e) => sink.next(e));
    sink.abandon('r9');
    const spans = exporter.getFinishedSpans();
    const aborted = spans.filter((s) => s.attributes['error.type'] === 'aborted').map((s) => s.attributes['flotilla.step.key'] ?? s.name);
    expect(aborted.sort()).toEqual(['', 'run pipeline', 'workers', 'workers/step[1]', 'workers/step[2]']);
    expect(spans.find((s) => s.attributes['flotilla.step.key'] === 'workers/step[0]')!.status.code).toBe(SpanStatusCode.UNSET);
    expect(openRuns(sink)).toBe(0);
  });

  it('traces a real engine run: one span per step, keyed by its place in the chain, one model call per attempt', async () => {
    const { exporter, sink } = setup();
    const events = await testEngine().run();
    events.forEach((e) => sink.next(e));
    const spans = exporter.getFinishedSpans();
    const steps = events.filter((e) => e.type === 'step.start');
    expect(spans.filter((s) => s.kind === SpanKind.INTERNAL)).toHaveLength(steps.length + 1);
    expect(spans.filter((s) => s.kind === SpanKind.CLIENT)).toHaveLength(4);
    for (const s of spans) expect(ms(s.endTime)).toBeGreaterThanOrEqual(ms(s.startTime));
    const keys = spans.flatMap((s) => (s.kind === SpanKind.INTERNAL && s.attributes['flotilla.step.key'] !== undefined ? [`${s.attributes['flotilla.step.key']} ${s.name}`] : []));
    expect(keys.sort()).toEqual([' sequence', '0 invoke_agent planner', 'code fanOut code', 'code/step[0] invoke_agent coder', 'code/step[1] invoke_agent coder', 'code/step[2] invoke_agent coder']);
    expect(openRuns(sink)).toBe(0);
  });

  it('exports over OTLP/HTTP where the standard OTEL_* environment points', async () => {
    const bodies: { url?: string; headers: IncomingMessage['headers']; body: string }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('latin1')));
      req.on('end', () => {
        bodies.push({ url: req.url, headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      const child = spawn(process.execPath, [join(ROOT, 'tools/scripts/run-ts.cjs'), join(__dirname, 'testing/otlp-export.script.ts')], {
        cwd: ROOT,
        env: { ...process.env, OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_HEADERS: 'x-team=flotilla', OTEL_SERVICE_NAME: 'flotilla-test' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((r) => child.on('close', r));
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      expect(bodies.length).toBeGreaterThan(0);
      expect(bodies[0]!.url).toBe('/v1/traces');
      expect(bodies[0]!.headers['x-team']).toBe('flotilla');
      const all = bodies.map((b) => b.body).join('');
      expect(all).toContain('invoke_agent coder');
      expect(all).toContain('gen_ai.request.model');
      expect(all).toContain('flotilla-test');
    } finally {
      server.close();
    }
  }, 30_000);
});
