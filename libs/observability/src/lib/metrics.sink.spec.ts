import { request } from 'node:http';
import { MetricsSink } from './metrics.sink';
import { startMetricsServer, type MetricsServer } from './metrics.server';
import { sampleRun } from './testing/run-events.builder';
import { testEngine } from './testing/engine-run';
import { parseExposition, sample } from './testing/exposition';

function get(url: string, method = 'GET'): Promise<{ status: number; type?: string; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body }));
    })
      .on('error', reject)
      .end();
  });
}

let server: MetricsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('MetricsSink and /metrics', () => {
  it('serves histograms and counters labelled by agent, model, endpoint and variant, scraped over HTTP on 127.0.0.1', async () => {
    const sink = new MetricsSink();
    sampleRun('r1', 'fast').forEach((e) => sink.next(e));
    sampleRun('r2', 'slow').forEach((e) => sink.next(e));
    server = await startMetricsServer({ registry: sink.registry, port: 0 });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await get(server.url);
    expect(res.status).toBe(200);
    expect(res.type).toContain('text/plain');
    const s = parseExposition(res.body);

    const workerB = { agent: 'worker', model: 'coder-7b', endpoint: 'gpu-b', variant: 'fast' };
    // Two workers answered from gpu-b in run r1: 108 ms and 138 ms.
    expect(sample(s, 'flotilla_step_duration_seconds_count', workerB)).toBe(2);
    expect(sample(s, 'flotilla_step_duration_seconds_sum', workerB)).toBeCloseTo(0.108 + 0.138, 9);
    expect(sample(s, 'flotilla_step_duration_seconds_bucket', { ...workerB, le: '0.1' })).toBe(0);
    expect(sample(s, 'flotilla_step_duration_seconds_bucket', { ...workerB, le: '0.25' })).toBe(2);
    expect(sample(s, 'flotilla_time_to_first_token_seconds_sum', workerB)).toBeCloseTo(0.05 + 0.03, 9);
    expect(sample(s, 'flotilla_queue_wait_seconds_sum', workerB)).toBeCloseTo(0.002, 9);
    expect(sample(s, 'flotilla_tokens_per_second_count', workerB)).toBe(2);
    expect(sample(s, 'flotilla_tokens_per_second_sum', workerB)).toBeCloseTo((20 * 1000) / 50 + (20 * 1000) / 60, 6);
    expect(sample(s, 'flotilla_call_successes_total', workerB)).toBe(2);
    expect(sample(s, 'flotilla_call_successes_total', { ...workerB, variant: 'slow' })).toBe(2);
    expect(sample(s, 'flotilla_call_successes_total', { agent: 'manager', model: 'planner-3b', endpoint: 'gpu-a', variant: '' })).toBe(2);
    expect(sample(s, 'flotilla_call_retries_total', { agent: 'worker', variant: 'fast', error_kind: 'overloaded' })).toBe(1);
    expect(sample(s, 'flotilla_call_failures_total', { agent: 'reviewer', model: 'critic-3b', endpoint: '', variant: '', error_kind: 'timeout' })).toBe(2);
    expect(sample(s, 'flotilla_runs_total', { chain: 'pipeline', status: 'failed' })).toBe(2);
    expect((await get(server.url.replace('/metrics', '/other'))).status).toBe(404);
  });

  it('counts a real engine run', async () => {
    const sink = new MetricsSink();
    (await testEngine().run()).forEach((e) => sink.next(e));
    server = await startMetricsServer({ registry: sink.registry, port: 0 });
    const s = parseExposition((await get(server.url)).body);
    const coder = s.filter((x) => x.name === 'flotilla_call_successes_total' && x.labels['agent'] === 'coder');
    expect(coder.reduce((n, x) => n + x.value, 0)).toBe(3);
    expect(coder[0]!.labels).toMatchObject({ endpoint: 'scripted', variant: expect.stringMatching(/^(big|small)$/) });
    expect(sample(s, 'flotilla_runs_total', { chain: 'test-pipeline', status: 'succeeded' })).toBe(1);
  });

  it('keeps interleaved runs of one chain apart (their keys are the same) and holds nothing once they end', async () => {
    const sink = new MetricsSink();
    const a = sampleRun('r1', 'fast');
    const b = sampleRun('r2', 'slow');
    // r2 runs 50 ms behind r1: the same keys are open in both runs at once.
    const merged = [...a.map((e) => ({ e, t: e.at })), ...b.map((e) => ({ e, t: e.at + 50 }))].sort((x, y) => x.t - y.t).map((x) => x.e);
    merged.forEach((e) => sink.next(e));
    const s = parseExposition(await sink.registry.metrics());
    const workerB = { agent: 'worker', model: 'coder-7b', endpoint: 'gpu-b' };
    for (const variant of ['fast', 'slow']) {
      expect(sample(s, 'flotilla_call_successes_total', { ...workerB, variant })).toBe(2);
      expect(sample(s, 'flotilla_step_duration_seconds_sum', { ...workerB, variant })).toBeCloseTo(0.108 + 0.138, 9);
      expect(sample(s, 'flotilla_call_retries_total', { agent: 'worker', variant, error_kind: 'overloaded' })).toBe(1);
    }
    expect(sample(s, 'flotilla_call_failures_total', { agent: 'reviewer', error_kind: 'timeout' })).toBe(2);
    expect((sink as unknown as { open: { runs: Map<string, unknown> } }).open.runs.size).toBe(0);
  });

  it('keeps registries apart and refuses a port in use', async () => {
    const a = new MetricsSink();
    const b = new MetricsSink();
    expect(a.registry).not.toBe(b.registry);
    server = await startMetricsServer({ registry: a.registry, port: 0 });
    await expect(startMetricsServer({ registry: b.registry, port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
