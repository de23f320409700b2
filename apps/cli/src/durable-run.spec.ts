import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FlotillaError, createFlotilla, defineAgent, defineChain, step } from '@flotilla/core';
import { OpenAICompatibleModelClient } from '@flotilla/adapter-openai';
import { OpenAITestServer } from '@flotilla/testing';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { EXIT } from './main';
import { runCli } from './testing/run-cli';

const CHAIN = `version: 2
name: plan-and-do
agents:
  planner: { model: m, prompt: "plan {{this}}" }
  doer: { model: m, retries: 0, prompt: "do {{this}}" }
steps:
  - call: planner
    id: plan
  - call: doer
    id: first
    input: "\${plan} one"
  - call: doer
    id: second
    input: "\${plan} two"
`;

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-cli-durable-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const lastText = (c: ScriptedModelClient) => c.requests.map((r) => r.request.messages[r.request.messages.length - 1]!.content);

describe('flotilla run --store / --resume', () => {
  it('journals a run, and resumes it after a failure without repeating the calls that completed', async () => {
    const chain = path.join(dir, 'chain.yaml');
    fs.writeFileSync(chain, CHAIN);
    const db = path.join(dir, 'runs.db');
    const failing = new ScriptedModelClient((r) => (String(r.messages[0]!.content).endsWith('two') ? { error: new FlotillaError('badRequest', 'refused') } : `P(${r.messages[0]!.content})`));
    const first = await runCli(['run', chain, '--input', 'x', '--store', db, '--run-id', 'cli-1', '--format', 'text'], { client: failing });
    expect(first.code).toBe(EXIT.failed);
    expect(first.stderr).toContain('run cli-1 (store');

    const working = new ScriptedModelClient((r) => `P(${r.messages[0]!.content})`);
    const resumed = await runCli(['run', chain, '--resume', 'cli-1', '--format', 'text'], { client: working, env: { FLOTILLA_STORE: db } });
    expect(resumed.code).toBe(EXIT.ok);
    expect(lastText(working)).toEqual(['do P(plan x) two']);
    expect(resumed.stdout.trim()).toBe('P(do P(plan x) two)');
    expect(resumed.stderr).toContain('resumed');

    // Loaded as the CLI loads it (lazily), which the module-boundary rule asks of the whole project.
    const { SqliteRunStore } = await import('@flotilla/store-sqlite');
    const store = new SqliteRunStore(db);
    expect(await store.getRun('cli-1')).toMatchObject({ status: 'succeeded', journaled: 3, input: 'x' });
    await store.close();
  });

  it('refuses --resume without a store, with an input, and a changed chain (exit 2, no model call)', async () => {
    const chain = path.join(dir, 'chain.yaml');
    fs.writeFileSync(chain, CHAIN);
    const db = path.join(dir, 'runs.db');
    const client = new ScriptedModelClient(() => 'ok');
    const noStore = await runCli(['run', chain, '--resume', 'r'], { client });
    expect(noStore.code).toBe(EXIT.usage);
    expect(noStore.stderr).toContain('needs a run store');
    const withInput = await runCli(['run', chain, '--resume', 'r', '--store', db, '--input', 'x'], { client });
    expect(withInput.code).toBe(EXIT.usage);
    expect(withInput.stderr).toContain('drop --input');

    expect((await runCli(['run', chain, '--input', 'x', '--store', db, '--run-id', 'r'], { client })).code).toBe(EXIT.ok);
    fs.writeFileSync(chain, CHAIN.replace('plan {{this}}', 'make a plan for {{this}}'));
    const changed = await runCli(['run', chain, '--resume', 'r', '--store', db], { client });
    expect(changed.code).toBe(EXIT.usage);
    expect(changed.stdout).toContain('chainChanged');
    const calls = client.requests.length;
    expect((await runCli(['run', chain, '--resume', 'r', '--store', db, '--force'], { client })).code).toBe(EXIT.ok);
    expect(client.requests.length).toBe(calls);
  });
});

describe('what a run store holds', () => {
  it('never an API key or a request header: the store file and its WAL hold the output, not them', async () => {
    const key = 'sk-durable-SECRET-4242';
    const header = 'HEADER-SECRET-7777';
    const server = new OpenAITestServer({ models: ['m'], apiKey: key, timeScale: 0 });
    const url = await server.start();
    process.env['FLOTILLA_DURABLE_TEST_KEY'] = key;
    const { SqliteRunStore } = await import('@flotilla/store-sqlite');
    const db = path.join(dir, 'runs.db');
    const store = new SqliteRunStore(db);
    try {
      const client = new OpenAICompatibleModelClient({ baseURL: `${url}/v1`, apiKeyEnv: 'FLOTILLA_DURABLE_TEST_KEY', headers: { 'x-team': header } });
      const flotilla = createFlotilla({ client, store });
      const say = defineAgent({ name: 'say', model: 'm', prompt: (t: string) => `Say ${t}` });
      const result = await flotilla.run(defineChain('say', step.call(say, { id: 'said' })), 'hello', { runId: 'secret-run' }).result;
      expect(result.status).toBe('succeeded');
      expect(server.requests.some((r) => r.hadAuthorization)).toBe(true);
      const bytes = () => ['', '-wal'].map((x) => (fs.existsSync(db + x) ? fs.readFileSync(db + x).toString('latin1') : '')).join('');
      // What the store does hold is in these files (so the search below looks in the right place)...
      expect(bytes()).toContain(String(result.output).slice(0, 12));
      // ...and no secret is.
      expect(bytes()).not.toContain(key);
      expect(bytes()).not.toContain(header);
      expect(bytes().toLowerCase()).not.toContain('authorization');
      await flotilla.close();
    } finally {
      delete process.env['FLOTILLA_DURABLE_TEST_KEY'];
      await store.close();
      await server.close();
    }
  });
});
