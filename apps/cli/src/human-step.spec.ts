import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { OllamaSimServer } from '@flotilla/testing';
import { EXIT } from './main';
import { runCli } from './testing/run-cli';

const ROOT = path.resolve(__dirname, '../../..');

const CHAIN = `version: 2
name: draft-review-polish
agents:
  writer: { model: "m:1b", prompt: "write about {{this}}" }
  polisher: { model: "m:1b", prompt: "polish {{this}}" }
steps:
  - call: writer
    id: draft
  - human:
      question: "Publish this draft about {{input}}?"
      schema: { type: string, minLength: 5 }
    id: check
  - call: polisher
    input: "\${check.value}"
`;

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-cli-human-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** `flotilla <args>` as a separate process (the real binary from source). */
function flotilla(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [path.join(ROOT, 'tools/scripts/run-ts.cjs'), path.join(ROOT, 'apps/cli/src/main.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, FLOTILLA_STORE: '', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += String(d)));
  child.stderr.on('data', (d) => (stderr += String(d)));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('a human step through the command line', () => {
  jest.setTimeout(60_000);

  it('the run exits 4 waiting; `flotilla runs answer` in a new process continues it with the edit', async () => {
    const sim = new OllamaSimServer({ models: ['m:1b'], timeScale: 0 });
    await sim.start();
    try {
      const chain = path.join(dir, 'chain.yaml');
      fs.writeFileSync(chain, CHAIN);
      const db = path.join(dir, 'runs.db');
      const backend = ['--backend', 'ollama', '--host', sim.url, '--format', 'text'];
      const first = await flotilla(['run', chain, '--input', 'harbours', '--store', db, '--run-id', 'pub-1', ...backend]);
      expect(first.stderr).not.toMatch(/^\s+at /m);
      expect(first.code).toBe(EXIT.waiting);
      expect(first.stdout).toContain('waiting for a person at step check: Publish this draft about harbours?');
      expect(first.stdout).toContain('flotilla runs answer pub-1');
      expect(sim.requests.filter((r) => r.path === '/api/chat')).toHaveLength(1);

      const shown = await flotilla(['runs', 'show', 'pub-1', '--store', db]);
      expect(shown.code).toBe(EXIT.ok);
      expect(shown.stdout).toContain('run pub-1: waiting');
      expect(shown.stdout).toContain('This is m:1b answering: write about harbours');

      const answered = await flotilla(['runs', 'answer', 'pub-1', '--edit', 'ships in the harbour at dawn', ...backend], { FLOTILLA_STORE: db });
      expect(answered.stderr).not.toMatch(/^\s+at /m);
      expect(answered.code).toBe(EXIT.ok);
      expect(answered.stdout.trim()).toBe('This is m:1b answering: polish ships in the harbour at dawn');
      // The draft came from the journal: one more model call, the polisher's.
      expect(sim.requests.filter((r) => r.path === '/api/chat')).toHaveLength(2);

      const listed = await runCli(['runs', 'list', '--store', db, '--json']);
      expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ runId: 'pub-1', status: 'succeeded' })]);
    } finally {
      await sim.close();
    }
  });
});

describe('flotilla runs', () => {
  const setup = async () => {
    const chain = path.join(dir, 'chain.yaml');
    fs.writeFileSync(chain, CHAIN);
    const db = path.join(dir, 'runs.db');
    const client = new ScriptedModelClient((r) => `<${String(r.messages[r.messages.length - 1]!.content)}>`);
    for (const id of ['a', 'b', 'c']) expect((await runCli(['run', chain, '--input', id, '--store', db, '--run-id', id, '--format', 'text'], { client })).code).toBe(EXIT.waiting);
    return { chain, db, client };
  };

  it('list, show, answer (refusing a bad edit), resume, cancel and prune', async () => {
    const { db, client } = await setup();
    const list = await runCli(['runs', 'list', '--store', db]);
    expect(list.stdout.trim().split('\n').map((l) => l.split(/\s+/).slice(0, 2).join(' ')).sort()).toEqual(['a waiting', 'b waiting', 'c waiting']);
    expect(list.stdout).toContain('waits at check');

    const bad = await runCli(['runs', 'answer', 'a', '--store', db, '--edit', 'x', '--format', 'text'], { client });
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stdout + bad.stderr).toContain('the edited value does not match');
    // A resume without an answer waits again; the answer then goes through.
    expect((await runCli(['runs', 'resume', 'a', '--store', db, '--format', 'text'], { client })).code).toBe(EXIT.waiting);
    const ok = await runCli(['runs', 'answer', 'a', '--store', db, '--approve', '--comment', 'fine', '--format', 'text'], { client });
    expect(ok.code).toBe(EXIT.ok);
    expect(ok.stdout.trim()).toBe('<polish <write about a>>');
    const again = await runCli(['runs', 'answer', 'a', '--store', db, '--reject', '--format', 'text'], { client });
    expect(again.code).toBe(EXIT.usage);
    expect(again.stdout + again.stderr).toContain('not waiting for a person');

    expect((await runCli(['runs', 'cancel', 'b', '--store', db])).stdout).toBe('run b: cancelled\n');
    const cancelled = await runCli(['runs', 'show', 'b', '--store', db, '--json']);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ status: 'cancelled', error: { kind: 'aborted' } });
    expect((await runCli(['runs', 'cancel', 'b', '--store', db])).code).toBe(EXIT.usage);

    // Without flags: the default retention (30 days, 1,000 runs) keeps these recent runs.
    expect((await runCli(['runs', 'prune', '--store', db])).stdout).toBe('deleted 0 finished run(s)\n');
    const kept = await runCli(['runs', 'prune', '--store', db, '--keep', '1']);
    expect(kept.stdout).toBe('deleted 1 finished run(s)\n');
    const pruned = await runCli(['runs', 'prune', '--store', db, '--older-than', '0s']);
    expect(pruned.stdout).toBe('deleted 1 finished run(s)\n');
    // The waiting run is never pruned.
    expect(JSON.parse((await runCli(['runs', 'list', '--store', db, '--json'])).stdout).map((r: { runId: string }) => r.runId)).toEqual(['c']);
  });
});
