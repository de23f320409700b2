import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OllamaModelClient } from '@flotilla/adapter-ollama';
import { OllamaSimServer, OpenAITestServer } from '@flotilla/testing';
import { runCli } from '../testing/run-cli';

const CASSETTE = path.resolve(__dirname, '../../../../examples/classify-tickets/cassettes/monday-queue.json');

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(['models', ...args], { env });

describe('flotilla models', () => {
  let sim: OllamaSimServer;
  beforeAll(async () => {
    sim = new OllamaSimServer({ models: [{ name: 'qwen2.5:3b', parameterSize: '3B', contextLength: 32768 }, 'llama3.2:1b'], timeScale: 0.001, keepAlive: '24h' }); // 86 s of real time: the warmed model stays loaded for every test
    await sim.start();
    // Load one model so /api/ps has something to say.
    await new OllamaModelClient({ host: sim.url }).warm('qwen2.5:3b');
  });
  afterAll(() => sim.close());

  it('lists an Ollama server\'s models and which are loaded', async () => {
    const { code, stdout } = await cli(['--backend', 'ollama', '--host', sim.url]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ollama 127\.0\.0\.1:\d+\n/);
    expect(stdout).toMatch(/● qwen2\.5:3b\s+2\.5 GB\s+3B, Q4_K_M, loaded/);
    expect(stdout).toMatch(/○ llama3\.2:1b/);
  });

  it('as JSON, and for the models recorded in fixture cassettes', async () => {
    const ollama = JSON.parse((await cli(['--backend', 'ollama', '--host', sim.url, '--format', 'json'])).stdout);
    expect(ollama.endpoints[0].models.map((m: { name: string; loaded: boolean }) => `${m.name}:${m.loaded}`).sort()).toEqual(['llama3.2:1b:false', 'qwen2.5:3b:true']);
    const fixture = JSON.parse((await cli(['--backend', 'fixture', '--cassette', CASSETTE, '--format', 'json'])).stdout);
    expect(fixture.endpoints[0].models).toEqual([
      { name: 'llama3.2:3b', loaded: false, details: '2 recorded call(s)' },
      { name: 'qwen2.5:1.5b', loaded: false, details: '4 recorded call(s)' },
    ]);
  });

  it('every endpoint of a fleet configuration (@flotilla/router), unreachable ones said as such', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-models-'));
    try {
      const config = path.join(dir, 'fleet.yaml');
      fs.writeFileSync(
        config,
        `endpoints:\n  - { name: box, kind: ollama, url: "${sim.url}" }\n  - { name: gone, kind: ollama, url: "http://127.0.0.1:9" }\n  - { name: tapes, kind: fixture, cassettes: ["${CASSETTE}"] }\n`,
      );
      const { code, stdout } = await cli(['--config', config]);
      expect(code).toBe(0);
      expect(stdout).toContain('qwen2.5:3b');
      expect(stdout).toMatch(/ollama 127\.0\.0\.1:9 — unreachable: unavailable: 127\.0\.0\.1:9 unreachable/);
      expect(stdout).toContain('fixture 1 cassette(s)');
      const viaEnv = await cli([], { FLOTILLA_CONFIG: config });
      expect(viaEnv.stdout).toBe(stdout);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exit 3 when no endpoint answers', async () => {
    const { code, stdout } = await cli(['--backend', 'ollama', '--host', 'http://127.0.0.1:9']);
    expect(code).toBe(3);
    expect(stdout).toContain('unreachable');
  });

  describe('--config with OpenAI-compatible endpoints', () => {
    const servers = [new OpenAITestServer({ models: ['one'], apiKey: 'key-one' }), new OpenAITestServer({ models: ['two'], apiKey: 'key-two' })];
    let dir: string;
    let config: string;
    beforeAll(async () => {
      await Promise.all(servers.map((s) => s.start()));
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-models-keys-'));
      config = path.join(dir, 'fleet.yaml');
      fs.writeFileSync(
        config,
        `endpoints:\n  - { name: one, kind: openai, url: "${servers[0]!.baseURL}", apiKeyEnv: ONE_KEY }\n  - { name: two, kind: openai, url: "${servers[1]!.baseURL}", apiKeyEnv: TWO_KEY }\n`,
      );
    });
    afterAll(async () => {
      await Promise.all(servers.map((s) => s.close()));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("sends each endpoint its own apiKeyEnv key, never OPENAI_API_KEY", async () => {
      const { code, stdout } = await cli(['--config', config, '--format', 'json'], { ONE_KEY: 'key-one', TWO_KEY: 'key-two', OPENAI_API_KEY: 'key-one' });
      expect(code).toBe(0);
      const listed = JSON.parse(stdout).endpoints as { reachable: boolean; models: { name: string }[] }[];
      expect(listed.map((l) => [l.reachable, l.models.map((m) => m.name)])).toEqual([
        [true, ['one']],
        [true, ['two']],
      ]);
    });

    it('names an unset apiKeyEnv variable in that endpoint\'s error and lists the others', async () => {
      const { code, stdout } = await cli(['--config', config], { ONE_KEY: 'key-one', OPENAI_API_KEY: 'key-two' });
      expect(code).toBe(0);
      expect(stdout).toContain('one');
      expect(stdout).toMatch(/openai 127\.0\.0\.1:\d+ — unreachable: config: .*answered 401.*the API key variable TWO_KEY is not set/);
      expect(stdout).not.toContain('key-two');
    });
  });
});
