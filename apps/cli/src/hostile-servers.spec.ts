import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { HostileServer, OllamaSimServer, OpenAITestServer } from '@flotilla/testing';
import { EXIT } from './main';
import { runCli } from './testing/run-cli';

// A server that accepts the connection and never answers, as the only backend and as one of
// two fleet endpoints, for `flotilla run` (in process and as a spawned binary) and
// `flotilla models`: each ends within its deadline with a typed error, or fails over.

const ROOT = path.resolve(__dirname, '../../..');
const FIRST_TOKEN_MS = 500;
const PROBE_TIMEOUT_MS = 200;

let dir: string;
let hole: HostileServer;
let sim: OllamaSimServer;
let openai: OpenAITestServer;
beforeAll(async () => {
  hole = await HostileServer.start({ mode: 'blackHole' });
  sim = new OllamaSimServer({ models: [{ name: 'm', loadMs: 0 }], timeScale: 0.01 });
  await sim.start();
  openai = new OpenAITestServer({ models: ['m'], timeScale: 0.01 });
  await openai.start();
});
afterAll(async () => {
  await Promise.all([hole.close(), sim.close(), openai.close()]);
});
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-hostile-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const chain = () =>
  write('chain.yaml', `name: ask\nagents:\n  asker: { model: m, prompt: "Say {{this}}", retries: 0, timeouts: { firstTokenMs: ${FIRST_TOKEN_MS}, totalMs: ${4 * FIRST_TOKEN_MS} } }\nsteps:\n  - call: asker\n`);
const fleetFile = (endpoints: string) => write('fleet.yaml', `endpoints:\n${endpoints}routing: { probeTimeoutMs: ${PROBE_TIMEOUT_MS}, healthIntervalMs: 0 }\n`);
const resultOf = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!).result as { status: string; error?: { kind: string; message: string }; steps: { call?: { endpoint?: string } }[] };

async function timed<T>(work: () => Promise<T>): Promise<T & { ms: number }> {
  const started = performance.now();
  const out = await work();
  return { ...out, ms: performance.now() - started };
}

describe('flotilla run against a black hole', () => {
  it.each([
    ['ollama', () => hole.url],
    ['openai', () => `${hole.url}/v1`],
  ])('as the only %s backend: a typed timeout within 2x the first-token deadline', async (backend, host) => {
    const run = await timed(() => runCli(['run', chain(), '--backend', backend, '--host', host(), '--input', 'hi']));
    expect(run.code).toBe(EXIT.failed);
    const result = resultOf(run.stdout);
    expect(result).toMatchObject({ status: 'failed', error: { kind: 'timeout' } });
    expect(result.error!.message).toContain(`time to first token exceeded ${FIRST_TOKEN_MS} ms`);
    expect(run.ms).toBeLessThan(2 * FIRST_TOKEN_MS);
  });

  it.each([
    ['ollama', () => `  - { name: hole, kind: ollama, url: "${hole.url}" }\n  - { name: sim, kind: ollama, url: "${sim.url}" }\n`],
    ['openai', () => `  - { name: hole, kind: openai, url: "${hole.url}/v1" }\n  - { name: sim, kind: openai, url: "${openai.baseURL}" }\n`],
  ])('as one of two %s fleet endpoints: the healthy one serves, the whole command within 2x the first-token deadline', async (_kind, endpoints) => {
    const run = await timed(() => runCli(['run', chain(), '--config', fleetFile(endpoints()), '--input', 'hi']));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(EXIT.ok);
    expect(resultOf(run.stdout).steps[0]!.call!.endpoint).toBe('sim');
    // The black hole costs one probe timeout (< one first-token deadline); the whole command,
    // start to exit, stays within 2x the deadline, the hostile set's slack for a loaded machine.
    expect(run.ms).toBeLessThan(2 * FIRST_TOKEN_MS);
  });

  it('the flotilla binary, with a black-hole backend, exits 1 with the timeout within 2x the deadline of its run', async () => {
    const bin = (args: string[]) =>
      timed(
        () =>
          new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
            const child = spawn(process.execPath, [path.join(ROOT, 'tools/scripts/run-ts.cjs'), path.join(ROOT, 'apps/cli/src/main.ts'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
            let stdout = '';
            let stderr = '';
            child.stdout.on('data', (d) => (stdout += String(d)));
            child.stderr.on('data', (d) => (stderr += String(d)));
            child.on('exit', (code) => resolve({ code, stdout, stderr }));
          }),
      );
    // What starting the binary costs here, to tell it apart from the run's own time.
    const baseline = await bin(['run', chain(), '--backend', 'ollama', '--host', sim.url, '--input', 'hi']);
    expect(baseline.code).toBe(EXIT.ok);
    const run = await bin(['run', chain(), '--backend', 'ollama', '--host', hole.url, '--input', 'hi']);
    expect(run.code).toBe(EXIT.failed);
    expect(resultOf(run.stdout).error).toMatchObject({ kind: 'timeout' });
    expect(run.stderr).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
    expect(run.ms - baseline.ms).toBeLessThan(2 * FIRST_TOKEN_MS);
  }, 60_000);
});

describe('flotilla models against a black hole', () => {
  it('as the only endpoint: exit 3, "not answering within N ms", within 2x --timeout-ms', async () => {
    const run = await timed(() => runCli(['models', '--backend', 'ollama', '--host', hole.url, '--timeout-ms', '500']));
    expect(run.code).toBe(EXIT.unavailable);
    expect(run.stdout).toMatch(/^ollama 127\.0\.0\.1:\d+ — not answering within 500 ms/);
    expect(run.ms).toBeLessThan(2 * 500);
  });

  it('as one of two fleet endpoints: the healthy one is listed, the silent one marked', async () => {
    const config = fleetFile(`  - { name: hole, kind: openai, url: "${hole.url}/v1" }\n  - { name: sim, kind: ollama, url: "${sim.url}" }\n`);
    const run = await timed(() => runCli(['models', '--config', config, '--timeout-ms', '500', '--format', 'json']));
    expect(run.code).toBe(EXIT.ok);
    const listed = JSON.parse(run.stdout).endpoints as { reachable: boolean; timedOut?: boolean; error?: string; models: { name: string }[] }[];
    expect(listed[0]).toMatchObject({ reachable: false, timedOut: true, error: 'not answering within 500 ms' });
    expect(listed[1]).toMatchObject({ reachable: true, models: [{ name: 'm:latest' }] });
    expect(run.ms).toBeLessThan(2 * 500);
  });
});

describe('flotilla run through a fleet whose server refuses the key', () => {
  it('names the unset apiKeyEnv variable and exits 2 (configuration), not circuitOpen', async () => {
    const guarded = new OpenAITestServer({ models: ['m'], apiKey: 'the-key' });
    await guarded.start();
    try {
      const config = fleetFile(`  - { name: gpu, kind: openai, url: "${guarded.baseURL}", apiKeyEnv: GPU1_KEY }\n`);
      const run = await runCli(['run', chain(), '--config', config, '--input', 'hi'], { env: { OPENAI_API_KEY: 'the-key' } });
      expect(run.code).toBe(EXIT.usage);
      expect(`${run.stdout}${run.stderr}`).toContain('the API key variable GPU1_KEY is not set');
      expect(`${run.stdout}${run.stderr}`).not.toContain('the-key');
    } finally {
      await guarded.close();
    }
  });
});
