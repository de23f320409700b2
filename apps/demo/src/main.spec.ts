import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { OllamaSimServer, writeSyntheticGguf } from '@flotilla/testing';
import { loadCassette } from '@flotilla/adapter-fixture';
import { main } from './main';
import { authorCassette, loadReplySource } from './lib/author-cassette';
import { SHIPPED_CASSETTES, SHIPPED_CASSETTES_DIR } from './lib/backend';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function runDemo(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Captured> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (d) => out.push(String(d)));
  stderr.on('data', (d) => err.push(String(d)));
  const code = await main(args, { stdout, stderr, env });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const sources = fs.readdirSync(path.join(SHIPPED_CASSETTES_DIR, 'src')).filter((f) => f.endsWith('.yaml'));

describe('demo', () => {
  it('runs the default objective on the shipped cassettes and prints one JSON object with --json', async () => {
    const { code, stdout, stderr } = await runDemo(['--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.status).toBe('succeeded');
    expect(result.plan.steps.length).toBeGreaterThan(0);
    expect(result.stepOutputs).toHaveLength(result.plan.steps.length);
    expect(result.reviews.at(-1).approved).toBe(true);
    expect(result.artifact).toContain('Array.from(input)');
    expect(result.stats.map((s: { agent: string }) => s.agent)).toEqual(['manager', 'worker', 'worker', 'reviewer', 'worker', 'reviewer']);
    expect(stderr).toContain('hand-written, not recorded from a real model');
    expect(stdout.trim().split('\n')).toHaveLength(1);
  });

  it.each(sources.map((f) => [f]))('replays the objective of %s', async (file) => {
    const { objective } = loadReplySource(path.join(SHIPPED_CASSETTES_DIR, 'src', file));
    const { code, stdout } = await runDemo(['--objective', objective]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/succeeded, approved — \d model calls/);
    expect(stdout).toMatch(/plan\s+manager\s+neural-chat:latest/);
  });

  it('labels every shipped cassette as hand-written', () => {
    for (const file of SHIPPED_CASSETTES) expect(loadCassette(file).note).toBe('hand-written, not recorded from a real model');
  });

  it('keeps the shipped cassettes in step with their sources and the current prompts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-demo-'));
    try {
      for (const file of sources) {
        const fresh = path.join(dir, file.replace('.yaml', '.json'));
        await authorCassette(path.join(SHIPPED_CASSETTES_DIR, 'src', file), fresh, { timeScale: 0 });
        const shipped = loadCassette(path.join(SHIPPED_CASSETTES_DIR, file.replace('.yaml', '.json')));
        // Same requests (keys) and same reply text: only timings may differ.
        const authored = loadCassette(fresh).entries;
        expect(Object.keys(authored).sort()).toEqual(Object.keys(shipped.entries).sort());
        const finalText = (events: readonly { type: string }[]) => (events.at(-1) as unknown as { message: { content: string } }).message.content;
        for (const [key, entry] of Object.entries(shipped.entries)) expect(finalText(authored[key]!.events)).toBe(finalText(entry.events));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with a cassette miss naming the closest recorded request for an objective it has no recording of', async () => {
    const { code, stdout } = await runDemo(['--json', '--objective', 'Write a haiku about ships']);
    expect(code).toBe(1);
    const result = JSON.parse(stdout);
    expect(result.status).toBe('failed');
    expect(result.error.kind).toBe('badRequest');
    expect(result.error.message).toMatch(/fixture miss: no recorded reply for request [0-9a-f]{64} \(model "neural-chat:latest"\)/);
    expect(result.error.message).toMatch(/closest recorded request [0-9a-f]{64} differs at messages\[1\]\.content/);
  });

  it('rejects bad options with exit code 2 and says which flag', async () => {
    expect(await runDemo(['--backend', 'gpt'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--backend: expected one of fixture, ollama, openai, llama-cpp, got "gpt"') });
    expect(await runDemo(['--concurrency', '0'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--concurrency: expected a whole number > 0') });
    expect(await runDemo(['--record'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--record: records a live backend') });
    expect(await runDemo(['--frobnicate'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--frobnicate: unknown flag') });
    expect(await runDemo(['--objectiv', 'x'])).toMatchObject({ code: 2, stderr: expect.stringContaining('did you mean --objective?') });
    for (const host of ['not a url', 'http://127.0.0.1:0', 'http://127.0.0.1:99999']) {
      const { code, stderr } = await runDemo(['--backend', 'ollama', '--host', host]);
      expect(code).toBe(2);
      expect(stderr.split('\n')[0]).toMatch(new RegExp(`^--host: .*${host.includes(':0') ? 'port 0' : host.includes('99999') ? 'port 99999' : '"not a url"'}`));
    }
  });

  it('replays the cassettes FLOTILLA_CASSETTES names (docs/deployment.md), and says so', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-demo-env-'));
    try {
      const only = path.join(dir, 'only.json');
      fs.copyFileSync(SHIPPED_CASSETTES[1]!, only);
      const { objective } = loadReplySource(path.join(SHIPPED_CASSETTES_DIR, 'src', 'fizzbuzz.yaml'));
      const viaEnv = await runDemo(['--json', '--objective', objective], { FLOTILLA_CASSETTES: only });
      expect(JSON.parse(viaEnv.stdout)).toMatchObject({ status: 'succeeded', backend: expect.stringContaining('replaying 1 cassette(s)') });
      // The default objective was recorded in another cassette: with FLOTILLA_CASSETTES naming only this one, it misses.
      const miss = await runDemo(['--json'], { FLOTILLA_CASSETTES: only });
      expect(JSON.parse(miss.stdout).error.message).toContain('fixture miss');
      expect((await runDemo(['--json'], { FLOTILLA_CASSETTES: path.join(dir, 'none.json') })).code).toBe(2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says "instant replay" only when it replays cassettes at instant pace', async () => {
    const { stdout } = await runDemo(['--pace', 'instant']);
    expect(stdout).toContain('(instant replay; model timings as recorded');
  });

  it('npm run -s demo -- --json prints JSON alone on stdout; without -s it says how to get that', async () => {
    const root = path.resolve(__dirname, '../../..');
    const npm = (args: string[]) =>
      new Promise<Captured>((resolve, reject) => {
        const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|FLOTILLA_)/i.test(k)));
        const child = spawn('npm', args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => (stdout += String(d)));
        child.stderr.on('data', (d) => (stderr += String(d)));
        child.on('error', reject);
        child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
    const quiet = await npm(['run', '-s', 'demo', '--', '--json']);
    expect(quiet.code).toBe(0);
    expect(JSON.parse(quiet.stdout)).toMatchObject({ status: 'succeeded', approved: true });
    const loud = await npm(['run', 'demo', '--', '--json']);
    expect(loud.stdout).toMatch(/^\s*> /);
    expect(loud.stderr).toContain('run `npm run -s demo -- --json` for JSON alone');
  }, 120_000);

  describe('against an Ollama server (the simulator, over HTTP)', () => {
    const sim = new OllamaSimServer({
      models: ['neural-chat:latest', 'qwen2.5-coder:7b-q4_0', 'mistral:latest'],
      numParallel: 4,
      timeScale: 0.01,
    });
    let url: string;
    beforeAll(async () => {
      url = await sim.start();
    });
    afterAll(() => sim.close());

    it('runs by configuration alone, then records and replays the same run', async () => {
      const live = await runDemo(['--json', '--backend', 'ollama', '--host', url, '--max-rounds', '1']);
      const liveResult = JSON.parse(live.stdout);
      expect(liveResult.status).toBe('succeeded');
      expect(liveResult.backend).toContain(`ollama at ${new URL(url).host}`);
      expect(liveResult.stepOutputs).toHaveLength(liveResult.plan.steps.length);

      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-demo-rec-'));
      const cassette = path.join(dir, 'live.json');
      try {
        const recorded = await runDemo(['--json', '--backend', 'ollama', '--host', url, '--max-rounds', '1', '--record', '--cassette', cassette]);
        const replayed = await runDemo(['--json', '--max-rounds', '1', '--cassette', cassette]);
        const a = JSON.parse(recorded.stdout);
        const b = JSON.parse(replayed.stdout);
        expect(b.status).toBe('succeeded');
        expect(b.plan).toEqual(a.plan);
        expect(b.stepOutputs).toEqual(a.stepOutputs);
        expect(b.reviews).toEqual(a.reviews);
        expect(b.artifact).toEqual(a.artifact);
        expect(Object.keys(loadCassette(cassette).entries)).toHaveLength(a.modelCalls);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe('from a fleet configuration file (two simulated Ollama servers behind the router)', () => {
    const models = ['neural-chat:latest', 'qwen2.5-coder:7b-q4_0', 'mistral:latest'];
    const sims = [new OllamaSimServer({ models, numParallel: 2, timeScale: 0.01 }), new OllamaSimServer({ models, numParallel: 3, timeScale: 0.01 })];
    let dir: string;
    let file: string;
    beforeAll(async () => {
      const urls = await Promise.all(sims.map((s) => s.start()));
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-demo-fleet-'));
      file = path.join(dir, 'fleet.yaml');
      fs.writeFileSync(
        file,
        [
          'endpoints:',
          `  - { name: left, kind: ollama, url: "${urls[0]}", slots: 2 }`,
          `  - { name: right, kind: ollama, url: "${urls[1]}", slots: 3 }`,
          'agents:',
          '  worker: { model: "qwen2.5-coder:7b-q4_0" }',
          'routing: { defaultLoadMs: 10 }',
          '',
        ].join('\n'),
      );
    });
    afterAll(async () => {
      await Promise.all(sims.map((s) => s.close()));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('runs the same demo through the router, chosen by --config or FLOTILLA_CONFIG alone', async () => {
      for (const run of [() => runDemo(['--json', '--config', file, '--max-rounds', '1']), () => runDemo(['--json', '--max-rounds', '1'], { FLOTILLA_CONFIG: file })]) {
        const { code, stdout } = await run();
        const result = JSON.parse(stdout);
        expect(result.status).toBe('succeeded');
        expect(result.backend).toContain('router over left (ollama');
        expect(result.backend).toContain('(from fleet.yaml)');
        expect(code).toBe(result.approved ? 0 : 1);
      }
      expect(sims.reduce((n, s) => n + s.generationRequests().length, 0)).toBeGreaterThan(0);
    });

    it('a live run through the fleet does not claim an instant replay', async () => {
      const { stdout } = await runDemo(['--config', file, '--max-rounds', '1']);
      expect(stdout).toMatch(/model calls in \d+\.\d+ s\n/);
      expect(stdout).not.toContain('replay');
    });

    it('runs on llama.cpp in the process from FLOTILLA_BACKEND and FLOTILLA_LLAMA_MODELS alone (synthetic GGUF)', async () => {
      const gguf = path.join(dir, 'synthetic.gguf');
      await writeSyntheticGguf(gguf, { stopBias: 2, contextLength: 4096 });
      const models = ['neural-chat:latest', 'qwen2.5-coder:7b-q4_0', 'mistral:latest'].map((m) => `${m}=${gguf}`).join(',');
      const { stdout } = await runDemo(['--json', '--max-rounds', '1'], { FLOTILLA_BACKEND: 'llama-cpp', FLOTILLA_LLAMA_MODELS: models });
      const result = JSON.parse(stdout);
      expect(result.status).toBe('succeeded');
      expect(result.backend).toBe('embedded llama.cpp (neural-chat:latest, qwen2.5-coder:7b-q4_0, mistral:latest)');
    }, 120_000);

    it('runs on one GGUF file for every agent with --backend llama-cpp --model <file>', async () => {
      const gguf = path.join(dir, 'tiny-coder.gguf');
      await writeSyntheticGguf(gguf, { stopBias: 2, contextLength: 4096 });
      const { code, stdout } = await runDemo(['--json', '--max-rounds', '1', '--backend', 'llama-cpp', '--model', gguf]);
      const result = JSON.parse(stdout);
      expect(result.status).toBe('succeeded');
      expect(code === 0 || code === 1).toBe(true);
      const name = path.basename(gguf).replace(/\.gguf$/, '');
      expect(new Set(result.stats.map((s: { model: string }) => s.model))).toEqual(new Set([name]));
      expect(result.stats.length).toBeGreaterThanOrEqual(3);
    }, 120_000);

    it('rejects --model for other backends and a missing file, naming the flag', async () => {
      expect(await runDemo(['--model', path.join(dir, 'tiny-coder.gguf')])).toMatchObject({ code: 2, stderr: expect.stringContaining('--model: a GGUF file for --backend llama-cpp') });
      expect(await runDemo(['--backend', 'llama-cpp', '--model', '/nope/missing.gguf'])).toMatchObject({
        code: 2,
        stderr: expect.stringContaining('--model: no such file: /nope/missing.gguf'),
      });
    });

    it('takes llama-cpp from FLOTILLA_BACKEND alone and says what it needs', async () => {
      const { code, stderr } = await runDemo(['--json'], { FLOTILLA_BACKEND: 'llama-cpp' });
      expect(code).toBe(2);
      expect(stderr).toContain('--backend llama-cpp: expected FLOTILLA_LLAMA_MODELS=name=/path/model.gguf');
    });

    it('says which file, path and line is wrong in a configuration', async () => {
      const bad = path.join(dir, 'bad.yaml');
      fs.writeFileSync(bad, 'endpoints:\n  - { name: x, kind: vllm }\n');
      const { code, stderr } = await runDemo(['--config', bad]);
      expect(code).toBe(2);
      expect(stderr).toContain('bad.yaml:2:22: endpoints[0].kind: expected one of "ollama", "openai", "llama-cpp", "fixture", got "vllm"');
    });
  });
});
