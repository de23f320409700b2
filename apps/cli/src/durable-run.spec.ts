import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FlotillaError } from '@flotilla/core';
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
