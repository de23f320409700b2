import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type ChildProcess, spawn } from 'node:child_process';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: a synthetic GGUF for a real llama-server
import { ensureLlamaServerBinary, writeSyntheticGguf } from '@flotilla/testing';
import { events, finalOf, fleet, freePort, userMessage, waitUntil } from '../spec/sim-fleet';
import type { Fleet } from './create-fleet';

// Slot accounting against llama.cpp's own server started with -np 2: the router never
// oversubscribes it (the server's deferred-request gauge stays 0), while a policy without
// slot accounting makes the server queue internally. The binary comes from
// tools/llama-server/build.sh (cached outside the clone; built on first use, which takes
// minutes; a missing toolchain fails with the setup line, never skips).
const SLOTS = 2;
const MODEL = 'synthetic-llama';

describe('slot accounting against llama-server -np 2', () => {
  jest.setTimeout(60_000);
  let child: ChildProcess;
  let dir: string;
  let base: string;
  const fleets: Fleet[] = [];

  beforeAll(async () => {
    const binary = await ensureLlamaServerBinary();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-router-llama-'));
    const model = await writeSyntheticGguf(path.join(dir, 'model.gguf'), { stopBias: -4, contextLength: 32768 });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const args = ['-m', model.path, '--alias', MODEL, '--host', '127.0.0.1', '--port', String(port), '-np', String(SLOTS), '-c', '4096'];
    child = spawn(binary, [...args, '-t', '1', '-tb', '1', '-n', '64', '--metrics', '--slots', '--no-warmup'], { stdio: 'ignore' });
    let up = false;
    const poll = async () => {
      up = await fetch(`${base}/health`).then((r) => r.ok, () => false);
    };
    const end = Date.now() + 30_000;
    while (!up && Date.now() < end) {
      await poll();
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    if (!up) throw new Error('llama-server did not become ready within 30 s');
  }, 15 * 60_000); // a first, uncached build of llama-server takes minutes
  afterAll(async () => {
    await Promise.all(fleets.map((f) => f.close()));
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(kill);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** One reading of /slots and /metrics; undefined when the server dropped the probe's connection. */
  async function sample(): Promise<{ processing: number; deferred: number } | undefined> {
    const [slots, metrics] = await Promise.all([
      fetch(`${base}/slots`).then((r) => r.json() as Promise<{ is_processing: boolean }[]>),
      fetch(`${base}/metrics`).then((r) => r.text()),
    ]).catch(() => [undefined, undefined] as const);
    if (!slots || metrics === undefined) return undefined;
    const deferred = Number(/^llamacpp:requests_deferred\s+(\S+)/m.exec(metrics)?.[1] ?? 0);
    return { processing: slots.filter((s) => s.is_processing).length, deferred };
  }

  async function run(policy: 'scored' | 'least-connections') {
    const f = fleet({ endpoints: [{ name: 'llama', kind: 'openai', url: `${base}/v1`, slots: SLOTS }], routing: { policy } });
    fleets.push(f);
    await f.start();
    const samples: { processing: number; deferred: number }[] = [];
    let running = true;
    const sampler = (async () => {
      while (running) {
        const s = await sample();
        if (s) samples.push(s);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const finals = await Promise.all(
      Array.from({ length: 6 }, (_, i) => events(f.router.chat({ model: MODEL, messages: userMessage(`answer ${i}`), options: { maxTokens: 400 } })).then(finalOf)),
    );
    running = false;
    await sampler;
    await waitUntil(() => f.router.report().endpoints[0]!.inFlight === 0, 2_000, 'the router to release its slots');
    expect(samples.length).toBeGreaterThan(3);
    return { finals, samples };
  }

  it('keeps at most -np calls on the server and none waiting inside it', async () => {
    const { finals, samples } = await run('scored');
    expect(finals.every((x) => x.endpoint === 'llama' && x.usage.completionTokens === 400)).toBe(true);
    expect(Math.max(...samples.map((s) => s.processing))).toBe(SLOTS);
    expect(Math.max(...samples.map((s) => s.deferred))).toBe(0);
    expect(Math.max(...finals.map((x) => x.timings.queueMs ?? 0))).toBeGreaterThan(0);
  });

  it('(a policy without slot accounting lets requests queue inside the server)', async () => {
    const { samples } = await run('least-connections');
    expect(Math.max(...samples.map((s) => s.deferred))).toBeGreaterThan(0);
  });
});
