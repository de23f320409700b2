import { Writable } from 'node:stream';
import { FlotillaError } from '@flotilla/core';
import { LogSink, createLogger } from './log.sink';
import { RunEventsBuilder, sampleRun } from './testing/run-events.builder';
import { testEngine } from './testing/engine-run';

const KEY = 'sk-proj-PLANTEDkey0123456789ABCDEFghij';
const PLAIN = 'hunter2-plain-secret'; // no recognisable shape: only its key name gives it away

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  const logger = createLogger({ level: 'trace', destination: stream });
  return { lines, logger, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('LogSink', () => {
  it('logs runs, calls, retries and failures as structured lines', () => {
    const { logger, records } = capture();
    const sink = new LogSink({ logger });
    sampleRun('r1').forEach((e) => sink.next(e));
    const recs = records();
    const calls = recs.filter((r) => r['msg'] === 'call finished');
    expect(calls).toHaveLength(4);
    expect(calls[0]).toMatchObject({ level: 20, name: 'flotilla', runId: 'r1', key: 'plan', step: 'plan', agent: 'manager', model: 'planner-3b', endpoint: 'gpu-a', durationMs: 119, loadMs: 60, queueMs: 5, firstTokenMs: 80, promptTokens: 50, completionTokens: 40 });
    expect(calls.slice(1).map((c) => [c['key'], c['step']])).toEqual([
      ['workers/step[0]', 'worker'],
      ['workers/step[1]', 'worker'],
      ['workers/step[2]', 'worker'],
    ]);
    expect(recs.find((r) => r['msg'] === 'retrying call')).toMatchObject({ level: 40, key: 'workers/step[2]', agent: 'worker', attempt: 1, error: { kind: 'overloaded' } });
    expect(recs.filter((r) => r['msg'] === 'step failed' && r['level'] === 50)).toEqual([expect.objectContaining({ key: '2', step: 'reviewer', kind: 'call', agent: 'reviewer', error: expect.objectContaining({ kind: 'timeout' }) })]);
    expect(recs.find((r) => r['msg'] === 'step started' && r['key'] === 'workers/step[1]')).toMatchObject({ level: 10, parentKey: 'workers', index: 1 });
    expect(recs.at(-1)).toMatchObject({ level: 50, msg: 'run ended', status: 'failed', modelCalls: 6 });
  });

  it('never writes a planted key: error details, headers, env-like fields, messages, errors and bindings', async () => {
    const { logger, lines } = capture();
    const sink = new LogSink({ logger: logger.child({ apiKey: PLAIN, session: `token=${KEY}` }) });
    const b = new RunEventsBuilder('r1');
    const root = b.step({ kind: 'sequence', at: 0 });
    b.call({
      parent: root,
      segment: '0',
      agent: 'worker',
      model: 'm',
      start: 1,
      end: 50,
      retries: [{ at: 10, delayMs: 1, kind: 'unavailable', details: { headers: { authorization: `Bearer ${KEY}`, 'x-api-key': PLAIN } } }],
      fail: { kind: 'badRequest', message: `401 from server: invalid key ${KEY}`, details: { env: { OPENAI_API_KEY: PLAIN, HOME: '/home/me' }, url: `http://h/v1?api_key=${PLAIN}` } },
    });
    b.failStep(root, 50);
    b.finish(51, 'failed', 'badRequest').forEach((e) => sink.next(e));

    // And a real engine failure whose FlotillaError carries the key.
    const { run } = testEngine(() => ({ error: new FlotillaError('badRequest', `rejected ${KEY}`, { details: { apiKey: PLAIN, headers: { Authorization: `Bearer ${KEY}` } } }) }));
    (await run()).forEach((e) => sink.next(e));

    // Direct use of the logger is covered too.
    logger.info({ req: { headers: { 'X-Api-Key': PLAIN, cookie: PLAIN } }, env: { HF_TOKEN: PLAIN } }, `calling with ${KEY}`);
    logger.error(new FlotillaError('unavailable', `connect failed ${KEY}`));
    logger.warn({ err: Object.assign(new Error(`boom ${KEY}`), { password: PLAIN }) }, 'failed');

    const out = lines.join('\n');
    expect(lines.length).toBeGreaterThan(10);
    expect(out).toContain('[REDACTED]');
    expect(out).toContain('/home/me');
    expect(out).not.toContain('PLANTED');
    expect(out).not.toContain(PLAIN);
    const failed = lines.map((l) => JSON.parse(l) as { msg: string; err?: { type: string; stack: string } }).find((r) => r.msg === 'failed')!;
    expect(failed.err!.type).toBe('Error');
    expect(failed.err!.stack).toMatch(/^Error: boom \[REDACTED\]\n\s+at /);
  });

  it('at info, writes two lines a run plus retries and failures', () => {
    const lines: string[] = [];
    const sink = new LogSink({ logger: createLogger({ destination: { write: (s: string) => lines.push(s) } }) });
    sampleRun('r1').forEach((e) => sink.next(e));
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['run started', 'retrying call', 'step failed', 'run ended']);
  });

  it('builds no objects for disabled levels', () => {
    const { lines } = capture();
    const quiet = new LogSink({ logger: createLogger({ level: 'silent', destination: { write: (s: string) => lines.push(s) } }) });
    sampleRun('r1').forEach((e) => quiet.next(e));
    expect(lines).toEqual([]);
  });
});
