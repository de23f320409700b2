import 'reflect-metadata';
import { type OllamaSimServer, WORKSPACE_ROOT, events, finalOf, fleet, freePort, processAlive as alive, simCommand, startSim, userMessage, waitUntil } from '../../spec/sim-fleet';
import type { Fleet } from '../create-fleet';

const M = 'qwen3:14b';

describe('on-demand heavy instance (the simulator CLI as a real child process)', () => {
  jest.setTimeout(60_000);
  let small: OllamaSimServer;
  let f: Fleet | undefined;
  beforeAll(async () => {
    small = await startSim({ models: [{ name: M, tokensPerSec: 10 }], numParallel: 1, timeScale: 0.05 });
  });
  afterEach(async () => {
    await f?.close(); // stops the instance it started (SIGTERM to that pid only)
    f = undefined;
  });
  afterAll(() => small.close());

  const make = async (idleStopMs: number, queueThreshold: number, smallUrl = small.url) => {
    const port = await freePort();
    f = fleet({
      endpoints: [
        { name: 'small', kind: 'ollama', url: smallUrl, slots: 1, labels: ['small'] },
        {
          name: 'big',
          kind: 'ollama',
          url: `http://127.0.0.1:${port}`,
          slots: 4,
          labels: ['large', 'gpu'],
          onDemand: {
            start: simCommand(port, ['--models', M, '--num-parallel', '4', '--time-scale', '0.02']),
            cwd: WORKSPACE_ROOT,
            readyTimeoutMs: 30_000,
            idleStopMs,
            warm: [M],
            queueThreshold,
          },
        },
      ],
      agents: { planner: { model: M, labels: ['large'] } },
      routing: { numCtx: { [M]: 4096 }, defaultLoadMs: 20 },
    });
    await f.start();
    return f;
  };

  it('starts on a call that asks for its label, warms the model, serves there, and stops when idle', async () => {
    const fl = await make(300, 1_000);
    const big = fl.router.endpoint('big')!;
    expect(big.running).toBe(false);
    const got = await events(fl.router.chat({ model: M, messages: userMessage('plan it') }, { agent: 'planner' }));
    const instance = fl.instances[0]!;
    expect(finalOf(got).endpoint).toBe('big');
    expect(got.some((e) => e.type === 'loading')).toBe(false); // warmed before the call went out
    expect(instance.starts).toBe(1);
    const pid = instance.pid!;
    expect(alive(pid)).toBe(true);
    await waitUntil(() => !big.running && instance.pid === undefined, 10_000, 'the idle instance to stop');
    expect(instance.stops).toBe(1);
    await waitUntil(() => !alive(pid), 10_000, 'the process to exit');
  });

  it('starts when queued work crosses the threshold and takes part of the backlog', async () => {
    // Slow enough that the backlog outlasts the instance's start on a loaded machine (a
    // child process compiling the simulator CLI takes seconds there).
    const slow = await startSim({ models: [{ name: M, tokensPerSec: 2 }], numParallel: 1, timeScale: 0.2 });
    try {
      const fl = await make(60_000, 3, slow.url);
      const finals = await Promise.all(Array.from({ length: 8 }, (_, i) => events(fl.router.chat({ model: M, messages: userMessage(`task ${i}`) })).then(finalOf)));
      const served = new Set(finals.map((x) => x.endpoint));
      expect(served.has('big')).toBe(true);
      expect(fl.instances[0]!.starts).toBe(1);
    } finally {
      await slow.close();
    }
  });

  it('fails the calls that only it could serve when its command cannot start', async () => {
    const port = await freePort();
    f = fleet({
      endpoints: [
        { name: 'small', kind: 'ollama', url: small.url },
        { name: 'big', kind: 'ollama', url: `http://127.0.0.1:${port}`, labels: ['large'], onDemand: { start: [process.execPath, '-e', 'process.exit(3)'], readyTimeoutMs: 5_000 } },
      ],
      agents: { planner: { model: M, labels: ['large'] } },
    });
    await f.start();
    const e = await events(f.router.chat({ model: M, messages: userMessage('x') }, { agent: 'planner' })).catch((x: unknown) => x);
    expect((e as { kind: string }).kind).toBe('circuitOpen');
  });
});
