import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { DEFAULT_MANAGER_MODEL, DEFAULT_REVIEWER_MODEL, DEFAULT_WORKER_MODEL } from '@flotilla/agents';
import { HostileServer, OllamaSimServer } from '@flotilla/testing';
import { main } from './main';

// The demo against a server that accepts connections and never answers: as its only backend
// the run ends within its deadline with a typed error; beside a healthy server in a fleet
// the healthy one serves the whole pipeline.

async function demo(args: string[]): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (d) => out.push(String(d)));
  stderr.on('data', (d) => err.push(String(d)));
  const started = performance.now();
  const code = await main(args, { stdout, stderr, env: {} });
  return { code, stdout: out.join(''), stderr: err.join(''), ms: performance.now() - started };
}

describe('demo against a black hole', () => {
  let hole: HostileServer;
  let sim: OllamaSimServer;
  let dir: string;
  beforeAll(async () => {
    hole = await HostileServer.start({ mode: 'blackHole' });
    sim = new OllamaSimServer({ models: [DEFAULT_MANAGER_MODEL, DEFAULT_WORKER_MODEL, DEFAULT_REVIEWER_MODEL], numParallel: 4, timeScale: 0.005 });
    await sim.start();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-demo-hostile-'));
  });
  afterAll(async () => {
    await Promise.all([hole.close(), sim.close()]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['ollama', () => hole.url],
    ['openai', () => `${hole.url}/v1`],
  ])('as the only %s backend: the run ends typed within its deadline', async (backend, host) => {
    const run = await demo(['--backend', backend, '--host', host(), '--deadline-ms', '1000', '--json']);
    expect(run.code).toBe(1);
    const result = JSON.parse(run.stdout);
    expect(result.status).toBe('failed');
    expect(['budgetExceeded', 'timeout']).toContain(result.error.kind);
    expect(run.ms).toBeLessThan(2 * 1_000);
  });

  it('as one of two fleet endpoints: the healthy one runs the whole pipeline, within the run deadline', async () => {
    const config = path.join(dir, 'fleet.yaml');
    fs.writeFileSync(
      config,
      `endpoints:\n  - { name: hole, kind: ollama, url: "${hole.url}", slots: 4 }\n  - { name: sim, kind: ollama, url: "${sim.url}", slots: 4 }\nrouting: { probeTimeoutMs: 300, healthIntervalMs: 0, defaultLoadMs: 10 }\n`,
    );
    const run = await demo(['--config', config, '--deadline-ms', '10000', '--max-rounds', '1', '--json']);
    const result = JSON.parse(run.stdout);
    expect(result.status).toBe('succeeded');
    expect(sim.generationRequests()).toHaveLength(result.modelCalls); // every call, on the healthy server
    expect(run.code).toBe(result.approved ? 0 : 1);
    expect(hole.connections).toBeGreaterThan(0); // it was asked (its probe), and never answered
    expect(run.ms).toBeLessThan(10_000);
  });
});
