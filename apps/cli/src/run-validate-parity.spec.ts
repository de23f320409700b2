import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { EXIT } from './main';
import { runCli } from './testing/run-cli';

// `flotilla validate` refuses exactly what `flotilla run` with the same options refuses before
// its first model call: both go through prepareChain. Each case is a bad chain; run must
// refuse it (exit 2, no model call) with the same diagnostics validate prints (exit 1).
const CASES: Record<string, Record<string, string>> = {
  'no model': { 'chain.yaml': 'name: c\nagents:\n  w: { prompt: "Say {{this}}" }\nsteps:\n  - call: w\n' },
  '.prompt without a model': { 'chain.yaml': 'name: c\nagents:\n  w: { file: w.prompt }\nsteps:\n  - call: w\n', 'w.prompt': '---\nconfig: { temperature: 0.2 }\n---\nSay {{this}}\n' },
  'template variable not in the input': { 'chain.yaml': 'name: c\nagents:\n  w: { model: m, prompt: "Write about {{topic}}" }\nsteps:\n  - call: w\n    input: { title: "${input}" }\n' },
  'temperature: hot': { 'chain.yaml': 'name: c\nagents:\n  w: { model: m, prompt: "Hi", options: { temperature: hot } }\nsteps:\n  - call: w\n' },
  'maxOutputTokens: -5 in a .prompt': { 'chain.yaml': 'name: c\nagents:\n  w: { file: w.prompt }\nsteps:\n  - call: w\n', 'w.prompt': '---\nmodel: m\nconfig:\n  maxOutputTokens: -5\n---\nHi\n' },
  'modle: in front matter': { 'chain.yaml': 'name: c\nagents:\n  w: { file: w.prompt }\nsteps:\n  - call: w\n', 'w.prompt': '---\nmodle: m\n---\nHi\n' },
  'output.format: json without a schema': { 'chain.yaml': 'name: c\nagents:\n  w: { file: w.prompt }\nsteps:\n  - call: w\n', 'w.prompt': '---\nmodel: m\noutput: { format: json }\n---\nHi\n' },
  'provider model id without an alias': { 'chain.yaml': 'name: c\nagents:\n  w: { file: w.prompt }\nsteps:\n  - call: w\n', 'w.prompt': '---\nmodel: googleai/gemini-2.0-flash\n---\nHi\n' },
  'file: outside the folder': { 'chain.yaml': 'name: c\nagents:\n  w: { file: ../w.prompt }\nsteps:\n  - call: w\n' },
};

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-parity-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeCase(files: Record<string, string>): string {
  const caseDir = path.join(dir, 'case');
  fs.mkdirSync(caseDir);
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(caseDir, name), text);
  fs.writeFileSync(path.join(dir, 'w.prompt'), '---\nmodel: m\n---\nHi\n');
  return path.join(caseDir, 'chain.yaml');
}

describe('validate refuses what run refuses, with the same words', () => {
  it.each(Object.keys(CASES))('%s', async (name) => {
    const chain = writeCase(CASES[name]!);
    const client = new ScriptedModelClient(() => 'x');
    const run = await runCli(['run', chain, '--input', 'x'], { client });
    expect(run.code).toBe(EXIT.usage);
    expect(client.requests).toHaveLength(0);
    const validate = await runCli(['validate', chain]);
    expect(validate.code).toBe(EXIT.failed);
    // validate prints the errors run prints, word for word, then any warnings and a summary.
    expect(run.stderr).toMatch(/^\/.+:\d+:\d+: error: /);
    expect(validate.stdout.startsWith(run.stderr)).toBe(true);
  });

  it('the same configuration makes both accept: a fleet file that gives the agent its model', async () => {
    const chain = writeCase(CASES['no model']!);
    const cassette = path.join(dir, 'empty.json');
    fs.writeFileSync(cassette, JSON.stringify({ version: 1, entries: {} }));
    const fleet = path.join(dir, 'fleet.yaml');
    fs.writeFileSync(fleet, `endpoints:\n  - { name: tapes, kind: fixture, cassettes: [${JSON.stringify(cassette)}] }\nagents:\n  w: { model: "qwen2.5:3b" }\n`);
    expect(await runCli(['validate', chain, '--config', fleet])).toMatchObject({ code: EXIT.ok });
    expect(await runCli(['validate', chain], { env: { FLOTILLA_CONFIG: fleet } })).toMatchObject({ code: EXIT.ok });
    // run gets past its checks and makes the call (the empty cassette has no reply: a run failure, not a refusal).
    const run = await runCli(['run', chain, '--input', 'x', '--config', fleet]);
    expect(run.code).toBe(EXIT.failed);
    expect(JSON.parse(run.stdout.trim().split('\n').at(-1)!).result.error.message).toContain('fixture miss');
  });

  it('--model-alias makes both accept a provider model id', async () => {
    const chain = writeCase(CASES['provider model id without an alias']!);
    expect(await runCli(['validate', chain, '--model-alias', 'googleai/gemini-2.0-flash=qwen2.5:3b'])).toMatchObject({ code: EXIT.ok });
    const client = new ScriptedModelClient(() => 'hello');
    expect(await runCli(['run', chain, '--input', 'x', '--model-alias', 'googleai/gemini-2.0-flash=qwen2.5:3b'], { client })).toMatchObject({ code: EXIT.ok });
    expect(client.requests[0]!.request.model).toBe('qwen2.5:3b');
  });

  it('an explicitly allowed folder makes both accept a file: outside the chain\'s folder', async () => {
    const chain = writeCase(CASES['file: outside the folder']!);
    expect(await runCli(['validate', chain, '--allow-dir', dir])).toMatchObject({ code: EXIT.ok });
    const client = new ScriptedModelClient(() => 'hello');
    expect(await runCli(['run', chain, '--input', 'x', '--allow-dir', dir], { client })).toMatchObject({ code: EXIT.ok });
  });
});
