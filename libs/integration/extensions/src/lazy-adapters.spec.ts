import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OllamaSimServer, writeSyntheticGguf } from '@flotilla/testing';

// Endpoint kinds load their adapters when an endpoint of theirs is made, not with the router:
// the CLI and the demo, run as a user runs them (child processes), load no adapter (and no
// vendor SDK) but those of the backend they run on. Every module the process loaded is
// recorded at exit: CommonJS ones from require.cache, ES modules (node-llama-cpp is one)
// through a resolve hook.

const ROOT = path.resolve(__dirname, '../../../..');
const RUN_TS = path.join(ROOT, 'tools/scripts/run-ts.cjs');
const CLI = path.join(ROOT, 'apps/cli/src/main.ts');
const DEMO = path.join(ROOT, 'apps/demo/src/main.ts');
const PIPELINE = path.join(ROOT, 'examples/coding-pipeline/chain.yaml');
const PIPELINE_INPUT = 'Write a function that checks whether a string is a palindrome, ignoring case and punctuation, with tests';

/** What each adapter and vendor SDK looks like on disk. */
const LOADED = {
  fixture: /\/libs\/adapters\/fixture\//,
  ollama: /\/libs\/adapters\/ollama\//,
  openai: /\/libs\/adapters\/openai\//,
  'llama-cpp': /\/libs\/adapters\/llama-cpp\//,
  'ollama SDK': /\/node_modules\/ollama\//,
  'openai SDK': /\/node_modules\/openai\//,
  'node-llama-cpp': /\/node_modules\/node-llama-cpp\//,
};
type Kind = keyof typeof LOADED;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-lazy-'));
  // Preloaded into each child: where the modules it loaded are written when it exits.
  const hook = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(process.env.FLOTILLA_MODULES_OUT + '.esm', r.url + '\\n');
  return r;
}`;
  fs.writeFileSync(
    path.join(dir, 'record-modules.cjs'),
    `const fs = require('node:fs');
require('node:module').register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
process.on('exit', () => fs.writeFileSync(process.env.FLOTILLA_MODULES_OUT, Object.keys(require.cache).join('\\n')));
`,
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let runs = 0;
/** Runs an entry point as a user would; returns its exit code and the kinds whose code it loaded. */
function run(entry: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string; loaded: Kind[] }> {
  const out = path.join(dir, `modules-${runs++}.txt`);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--require', path.join(dir, 'record-modules.cjs'), RUN_TS, entry, ...args],
      { cwd: ROOT, env: { PATH: process.env['PATH'], FLOTILLA_MODULES_OUT: out, ...env }, timeout: 90_000 },
      (error, _stdout, stderr) => {
        const files = [fs.readFileSync(out, 'utf8'), fs.existsSync(`${out}.esm`) ? fs.readFileSync(`${out}.esm`, 'utf8') : ''].join('\n');
        const loaded = (Object.keys(LOADED) as Kind[]).filter((k) => LOADED[k].test(files));
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr, loaded });
      },
    );
  });
}

describe('adapters load with the backend that uses them, not before', () => {
  jest.setTimeout(120_000);

  it('flotilla run on the fixture backend loads the fixture adapter only (no node-llama-cpp, no openai or ollama SDK)', async () => {
    const r = await run(CLI, ['run', PIPELINE, '--input', PIPELINE_INPUT]);
    expect(r.code).toBe(0);
    expect(r.loaded).toEqual(['fixture']);
  });

  it('flotilla run on a fleet file of fixture endpoints, and flotilla models --backend fixture: the same', async () => {
    const fleet = path.join(dir, 'fleet.yaml');
    fs.writeFileSync(fleet, `endpoints:\n  - { name: tapes, kind: fixture, cassettes: ["${path.join(ROOT, 'examples/coding-pipeline/cassettes/palindrome.json')}"] }\n`);
    expect(await run(CLI, ['run', PIPELINE, '--config', fleet, '--input', PIPELINE_INPUT])).toMatchObject({ code: 0, loaded: ['fixture'] });
    expect(await run(CLI, ['models', '--config', fleet])).toMatchObject({ code: 0, loaded: ['fixture'] });
  });

  it('the demo on its shipped cassettes: the same', async () => {
    expect(await run(DEMO, ['--json'])).toMatchObject({ code: 0, loaded: ['fixture'] });
  });

  it('a run on Ollama loads the Ollama adapter (whose SDK gives types only), one on llama.cpp its adapter and node-llama-cpp: what the checks above would see', async () => {
    const sim = new OllamaSimServer({ models: ['m'], timeScale: 0 });
    await sim.start();
    try {
      const chain = path.join(dir, 'one.yaml');
      fs.writeFileSync(chain, 'name: one\nagents:\n  a: { model: m, prompt: "Say {{this}}", options: { maxTokens: 4 } }\nsteps:\n  - call: a\n');
      expect(await run(CLI, ['run', chain, '--backend', 'ollama', '--input', 'hi'], { OLLAMA_HOST: sim.url })).toMatchObject({ code: 0, loaded: ['ollama'] });
      const gguf = path.join(dir, 'm.gguf');
      await writeSyntheticGguf(gguf, { stopBias: 3 });
      expect(await run(CLI, ['run', chain, '--backend', 'llama-cpp', '--gguf', `m=${gguf}`, '--input', 'hi'])).toMatchObject({ code: 0, loaded: ['llama-cpp', 'node-llama-cpp'] });
    } finally {
      await sim.close();
    }
  });
});
