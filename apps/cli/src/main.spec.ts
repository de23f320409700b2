import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FlotillaError } from '@flotilla/core';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { OllamaSimServer } from '@flotilla/testing';
import { EXIT } from './main';
import { type CliRun, runCli } from './testing/run-cli';

const ROOT = path.resolve(__dirname, '../../..');
const PIPELINE = path.join(ROOT, 'examples/coding-pipeline/chain.yaml');
const OBJECTIVE = 'Write a function that checks whether a string is a palindrome, ignoring case and punctuation, with tests';

const cli = runCli;

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-cli-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

describe('flotilla run', () => {
  it('prints JSON lines when piped: every run event, the last one run.end with the result (trace left out)', async () => {
    const { code, stdout } = await cli(['run', PIPELINE, '--input', OBJECTIVE]);
    expect(code).toBe(EXIT.ok);
    const events = stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(events[0]).toMatchObject({ type: 'run.start', chain: 'manager-worker-reviewer', input: OBJECTIVE });
    const end = events.at(-1);
    expect(end).toMatchObject({ type: 'run.end', result: { status: 'succeeded', modelCalls: 7 } });
    expect(end.result.trace).toBeUndefined();
    expect(end.result.output.approved).toBe(true);
    expect(events.filter((e) => e.type === 'step.end' && e.call).map((e) => e.call.agent)).toEqual(['manager', 'worker', 'worker', 'worker', 'reviewer', 'worker', 'reviewer']);
  });

  it('on a terminal: progress on stderr, the output on stdout', async () => {
    const { code, stdout, stderr } = await cli(['run', PIPELINE, '--input', OBJECTIVE], { tty: true });
    expect(code).toBe(EXIT.ok);
    expect(JSON.parse(stdout).approved).toBe(true);
    expect(stderr).toContain('hand-written, not recorded from a real model');
    expect(stderr).toMatch(/✓ loop\/work\/workers\/step\[2\]\s+worker\s+qwen2.5-coder:7b-q4_0/);
    expect(stderr).toMatch(/succeeded — 7 model call\(s\)/);
  });

  it('--config runs on a fleet from a configuration file (@flotilla/router), also via FLOTILLA_CONFIG', async () => {
    const cassette = path.join(ROOT, 'examples/coding-pipeline/cassettes/palindrome.json');
    const config = write('fleet.yaml', `endpoints:\n  - { name: tapes, kind: fixture, cassettes: ["${cassette}"] }\n`);
    const viaFlag = await cli(['run', PIPELINE, '--config', config, '--input', OBJECTIVE], { tty: true });
    expect(viaFlag.code).toBe(EXIT.ok);
    expect(viaFlag.stderr).toContain('router over tapes (fixture, 1 slot(s))');
    const viaEnv = await cli(['run', PIPELINE, '--input', OBJECTIVE], { env: { FLOTILLA_CONFIG: config } });
    expect(viaEnv.code).toBe(EXIT.ok);
    const broken = await cli(['run', PIPELINE, '--config', write('broken.yaml', 'endpoints: []\n'), '--input', OBJECTIVE]);
    expect(broken.code).toBe(EXIT.usage);
    expect(broken.stderr).toContain('broken.yaml');
  });

  it('reads the input from stdin, a file or --set, and checks it against the input schema', async () => {
    expect((await cli(['run', PIPELINE, '--input', '-'], { stdin: `${OBJECTIVE}\n` })).code).toBe(EXIT.ok);
    expect((await cli(['run', PIPELINE, '--input-file', write('objective.txt', `${OBJECTIVE}\n`)])).code).toBe(EXIT.ok);
    const chain = write('echo.yaml', 'name: echo\ninput: { type: object, properties: { n: { type: integer } }, required: [n], additionalProperties: false }\nagents: {}\nsteps:\n  - value: { doubled: ["${input.n}", "${input.n}"] }\n');
    const ok = await cli(['run', chain, '--set', 'n=4', '--format', 'text'], { client: new ScriptedModelClient(() => 'unused') });
    expect(ok.code).toBe(EXIT.ok);
    expect(JSON.parse(ok.stdout)).toEqual({ doubled: [4, 4] });
    const bad = await cli(['run', chain, '--set', 'n=four'], { client: new ScriptedModelClient(() => 'unused') });
    expect(bad.code).toBe(EXIT.usage);
    expect(bad.stderr).toContain("input does not match the chain's input schema");
    expect((await cli(['run', chain], { client: new ScriptedModelClient(() => 'unused') })).stderr).toContain('the chain needs an input');
    // Text that starts like JSON but does not parse is refused, unless the chain's input schema says string.
    const broken = await cli(['run', chain, '--input', '{"n": 4'], { client: new ScriptedModelClient(() => 'unused') });
    expect(broken).toMatchObject({ code: EXIT.usage, stderr: expect.stringMatching(/^--input: the input starts like JSON .* but is not valid JSON/) });
    const text = write('text.yaml', 'name: text\ninput: { type: string }\nagents: {}\nsteps:\n  - value: "${input}"\n');
    const asText = await cli(['run', text, '--input', '{"n": 4', '--format', 'text'], { client: new ScriptedModelClient(() => 'unused') });
    expect(asText).toMatchObject({ code: EXIT.ok, stdout: '{"n": 4\n' });
  });

  it('refuses an invalid chain before anything runs: exit 2, file:line:col and a hint', async () => {
    const chain = write('bad.yaml', 'name: bad\nagents:\n  writer: { prompt: "hi" }\nsteps:\n  - call: wrter\n');
    const client = new ScriptedModelClient(() => 'x');
    const { code, stderr } = await cli(['run', chain, '--input', 'x'], { client });
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain(`${chain}:5:11: error: unknown agent "wrter"; declared agents: writer\n  hint: did you mean "writer"?`);
    expect(client.requests).toHaveLength(0);
  });

  it('exit codes say why a run failed', async () => {
    const chain = write('one.yaml', 'name: one\nagents:\n  writer: { model: m, prompt: "hi", retries: 0 }\nsteps:\n  - call: writer\n');
    const down = new ScriptedModelClient(() => ({ error: new FlotillaError('unavailable', 'connection refused') }));
    expect((await cli(['run', chain], { client: down })).code).toBe(EXIT.unavailable);
    const bad = new ScriptedModelClient(() => ({ error: new FlotillaError('badOutput', 'nonsense') }));
    const failed = await cli(['run', chain, '--format', 'text'], { client: bad });
    expect(failed.code).toBe(EXIT.failed);
    expect(failed.stderr).toContain('run failed: badOutput');
    expect((await cli(['run', chain, '--backend', 'nope'])).code).toBe(EXIT.usage);
    expect((await cli(['run', chain, '--bogus'])).code).toBe(EXIT.usage);
    expect((await cli(['frobnicate'])).code).toBe(EXIT.usage);
    expect((await cli(['run', chain, '--backend', 'fixture'])).stderr).toContain('no cassettes');
  });

  it('cancels on the signal: in-flight requests are unsubscribed and the exit code is 130', async () => {
    const chain = write('slow.yaml', 'name: slow\nagents:\n  writer: { model: m, prompt: "{{this}}" }\nsteps:\n  - fanOut: { over: "${input}", step: { call: writer } }\n');
    const client = new ScriptedModelClient(() => ({ hang: true }));
    const controller = new AbortController();
    const running = cli(['run', chain, '--input', '["a","b","c"]'], { client, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 50));
    expect(client.inFlight).toBe(3);
    controller.abort();
    const { code, stdout } = await running;
    expect(code).toBe(EXIT.cancelled);
    expect(client.requests.map((r) => r.cancelled)).toEqual([true, true, true]);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!).result.status).toBe('cancelled');
  });
});

describe('recording and replaying a live backend', () => {
  it('--record writes every call of a run against Ollama; --backend fixture replays it without the server', async () => {
    const sim = new OllamaSimServer({ models: ['tiny:1b'], timeScale: 0.001 });
    await sim.start();
    try {
      const chain = write('chain.yaml', 'name: rec\nagents:\n  writer: { model: "tiny:1b", prompt: "Say {{this}}", options: { maxTokens: 8 } }\nsteps:\n  - fanOut: { over: "${input}", step: { call: writer } }\n');
      const cassette = path.join(dir, 'rec.json');
      const live = await cli(['run', chain, '--backend', 'ollama', '--host', sim.url, '--record', '--cassette', cassette, '--input', '["a","b"]']);
      expect(live.code).toBe(EXIT.ok);
      const replay = await cli(['run', chain, '--backend', 'fixture', '--cassette', cassette, '--input', '["a","b"]']);
      expect(replay.code).toBe(EXIT.ok);
      const output = (r: CliRun) => JSON.parse(r.stdout.trim().split('\n').at(-1)!).result.output;
      expect(output(replay)).toEqual(output(live));
    } finally {
      await sim.close();
    }
  });

  it('--deadline-ms ends a slow run with budgetExceeded (exit 1)', async () => {
    const chain = write('slow.yaml', 'name: slow\nagents:\n  writer: { model: m, prompt: "{{this}}" }\nsteps:\n  - call: writer\n');
    const { code, stdout } = await cli(['run', chain, '--input', 'x', '--deadline-ms', '50'], { client: new ScriptedModelClient(() => ({ hang: true })) });
    expect(code).toBe(EXIT.failed);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!).result.error.kind).toBe('budgetExceeded');
  });

  it('--deadline-across run counts the deadline from the run\'s first start; a bad value or one without --deadline-ms is a usage error', async () => {
    const chain = write('slow-across.yaml', 'name: slow\nagents:\n  writer: { model: m, prompt: "{{this}}" }\nsteps:\n  - call: writer\n');
    const hang = () => new ScriptedModelClient(() => ({ hang: true }));
    const { code, stdout } = await cli(['run', chain, '--input', 'x', '--deadline-ms', '50', '--deadline-across', 'run'], { client: hang() });
    expect(code).toBe(EXIT.failed);
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!).result.error).toMatchObject({ kind: 'budgetExceeded', details: { across: 'run' } });
    expect(await cli(['run', chain, '--input', 'x', '--deadline-ms', '50', '--deadline-across', 'forever'], { client: hang() })).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('--deadline-across') });
    expect(await cli(['run', chain, '--input', 'x', '--deadline-across', 'run'], { client: hang() })).toMatchObject({ code: EXIT.usage, stderr: '--deadline-across: needs --deadline-ms <ms>\n' });
  });
});

describe('flotilla validate', () => {
  it('passes the examples and reports every problem of a bad chain with positions', async () => {
    const ok = await cli(['validate', PIPELINE]);
    expect(ok).toMatchObject({ code: EXIT.ok });
    expect(ok.stdout).toContain('ok (chain "manager-worker-reviewer", 3 agent(s))');
    const chain = write('bad.yaml', 'name: bad\nagents:\n  writer: { prompt: "hi" }\nsteps:\n  - call: writer\n    id: text\n  - value: "${txet}"\n  - fanOut: { over: "${text}", step: { call: writer } }\n');
    const bad = await cli(['validate', chain, '--format', 'json']);
    expect(bad.code).toBe(EXIT.failed);
    const report = JSON.parse(bad.stdout);
    expect(report.valid).toBe(false);
    expect(report.diagnostics.map((d: { line: number; code: string }) => `${d.line}:${d.code}`)).toEqual(['7:undefinedReference', '8:schemaMismatch']);
  });
});

describe('the flotilla binary', () => {
  jest.setTimeout(60_000);

  it('Ctrl-C cancels the run and its HTTP requests, and exits 130', async () => {
    const sim = new OllamaSimServer({ models: [{ name: 'slow:1b', tokensPerSec: 1, loadMs: 0 }], numParallel: 4 });
    await sim.start();
    try {
      const chain = write('chain.yaml', 'name: slow\nagents:\n  writer: { model: "slow:1b", prompt: "{{this}}" }\nsteps:\n  - fanOut: { over: "${input}", step: { call: writer } }\n');
      const child = spawn(process.execPath, [path.join(ROOT, 'tools/scripts/run-ts.cjs'), path.join(ROOT, 'apps/cli/src/main.ts'), 'run', chain, '--backend', 'ollama', '--host', sim.url, '--input', '["a","b"]'], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += String(d)));
      const deadline = Date.now() + 30_000;
      while (sim.activeGenerations < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(sim.activeGenerations).toBe(2);
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(EXIT.cancelled);
      expect(JSON.parse(stdout.trim().split('\n').at(-1)!).result.status).toBe('cancelled');
      const until = Date.now() + 5_000;
      while (sim.activeGenerations > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(sim.activeGenerations).toBe(0);
      expect(sim.requests.filter((r) => r.path === '/api/chat').every((r) => r.clientDisconnected)).toBe(true);
    } finally {
      await sim.close();
    }
  });
});

describe('run inputs get the limits chain files have', () => {
  it('an --input-file or stdin over 1 MiB is refused before it is parsed', async () => {
    const chain = write('one.yaml', 'name: one\nagents:\n  a: { model: m, prompt: "A {{this}}" }\nsteps:\n  - call: a\n');
    const client = new ScriptedModelClient(() => 'x');
    const big = write('big.yaml', `text: "${'x'.repeat(1_100_000)}"\n`);
    const file = await cli(['run', chain, '--input-file', big], { client });
    expect(file).toMatchObject({ code: EXIT.usage, stderr: expect.stringMatching(/^\S+big\.yaml:1:1: error: input file is 1100009 bytes; expected at most 1048576\n/) });
    const stdin = await cli(['run', chain, '--input', '-'], { client, stdin: 'y'.repeat(1_100_000) });
    expect(stdin).toMatchObject({ code: EXIT.usage, stderr: '--input -: stdin is larger than 1048576 bytes (the limit input files have)\n' });
    expect(client.requests).toHaveLength(0);
  });
});

describe('SIGTERM on the flotilla binary', () => {
  jest.setTimeout(60_000);

  it('cancels the run like Ctrl-C: in-flight requests aborted, the trace and the completed steps written, exit 143', async () => {
    const sim = new OllamaSimServer({
      models: [
        { name: 'fast:1b', tokensPerSec: 5000, loadMs: 0, firstTokenMs: 0 },
        { name: 'slow:1b', tokensPerSec: 1, loadMs: 0 },
      ],
      numParallel: 4,
    });
    await sim.start();
    try {
      const chain = write(
        'chain.yaml',
        'name: two\nagents:\n  quick: { model: "fast:1b", prompt: "Outline {{this}}", options: { maxTokens: 6 } }\n  slow: { model: "slow:1b", prompt: "Write {{this}}" }\nsteps:\n  - call: quick\n  - call: slow\n',
      );
      const traces = path.join(dir, 'traces');
      const child = spawn(
        process.execPath,
        [path.join(ROOT, 'tools/scripts/run-ts.cjs'), path.join(ROOT, 'apps/cli/src/main.ts'), 'run', chain, '--backend', 'ollama', '--host', sim.url, '--input', 'ships', '--format', 'text', '--trace', traces],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += String(d)));
      child.stderr.on('data', (d) => (stderr += String(d)));
      const deadline = Date.now() + 30_000;
      while (!sim.requests.some((r) => r.path === '/api/chat' && JSON.stringify(r.body ?? '').includes('slow:1b')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      while (sim.activeGenerations < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(sim.activeGenerations).toBe(1);
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
      expect(code).toBe(EXIT.terminated);
      expect(stderr).toContain('cancelling on SIGTERM');
      expect(stderr).toContain('run cancelled: aborted');
      // The step that completed is on stdout, with its output.
      expect(stdout).toMatch(/^cancelled run: the output of the 1 step\(s\) that completed\n── step 0 · agent quick \(fast:1b\) ──\n\S/);
      const [trace] = fs.readdirSync(traces).filter((f) => f.endsWith('.jsonl'));
      const lines = fs.readFileSync(path.join(traces, trace!), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines.find((l) => l.type === 'step.end' && l.call?.agent === 'quick')).toBeDefined();
      expect(lines.at(-1)).toMatchObject({ type: 'run.end', result: { status: 'cancelled' } });
      const until = Date.now() + 5_000;
      while (sim.activeGenerations > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(sim.activeGenerations).toBe(0);
      expect(sim.requests.filter((r) => r.path === '/api/chat').at(-1)!.clientDisconnected).toBe(true);
    } finally {
      await sim.close();
    }
  });
});

describe('nothing lost silently', () => {
  it('--format text: a failed run prints the outputs of the steps that completed on stdout, the error on stderr', async () => {
    const chain = write('two.yaml', 'name: two\nagents:\n  a: { model: m, prompt: "A {{this}}", retries: 0 }\n  b: { model: m, prompt: "B {{this}}", retries: 0 }\nsteps:\n  - call: a\n  - call: b\n');
    const client = new ScriptedModelClient((req) => (req.messages.at(-1)!.content.startsWith('A') ? 'first part, done' : { error: new FlotillaError('badOutput', 'nonsense') }));
    const { code, stdout, stderr } = await cli(['run', chain, '--input', 'x', '--format', 'text'], { client });
    expect(code).toBe(EXIT.failed);
    expect(stdout).toBe('failed run: the output of the 1 step(s) that completed\n── step 0 · agent a (m) ──\nfirst part, done\n');
    expect(stderr).toContain('run failed: badOutput: ');
  });

  it('--trace that cannot be written fails the command before the run starts', async () => {
    const chain = write('one.yaml', 'name: one\nagents:\n  a: { model: m, prompt: "A {{this}}" }\nsteps:\n  - call: a\n');
    const client = new ScriptedModelClient(() => 'x');
    const notADir = write('file.txt', 'x');
    for (const trace of [notADir, path.join(notADir, 'sub')]) {
      const { code, stderr } = await cli(['run', chain, '--input', 'x', '--trace', trace], { client });
      expect(code).toBe(EXIT.usage);
      expect(stderr).toMatch(new RegExp(`^--trace ${trace.replace(/[/.]/g, '\\$&')}: .*expected a directory the trace files can be written to`));
    }
    expect(client.requests).toHaveLength(0);
  });

  it('a bug in Flotilla says it is one (with the stack to report); a user mistake never prints a stack', async () => {
    const chain = write('one.yaml', 'name: one\nagents:\n  a: { model: m, prompt: "A" }\nsteps:\n  - call: a\n');
    const mistake = await cli(['run', chain, '--input', 'x', '--deadline-ms', 'soon']);
    expect(mistake).toMatchObject({ code: EXIT.usage, stderr: '--deadline-ms: expected a number > 0, got "soon"\n' });
    // Something that is not a FlotillaError escaping a command is ours: here, a client whose name getter throws.
    const broken = Object.defineProperty(new ScriptedModelClient(() => 'x'), 'name', { get: () => { throw new TypeError('name is broken'); } });
    const bug = await cli(['run', chain, '--input', 'x'], { client: broken });
    expect(bug.code).toBe(EXIT.failed);
    expect(bug.stderr).toMatch(/^flotilla run: this is a bug in Flotilla, please report it with the command line and this trace:\nTypeError: name is broken\n\s+at /);
  });
});

describe('flotilla run --trace, then flotilla report', () => {
  it('writes a JSON-lines trace per run that report reads back, as text, JSON and HTML', async () => {
    const traces = path.join(dir, 'traces');
    for (let i = 0; i < 2; i++) expect((await cli(['run', PIPELINE, '--input', OBJECTIVE, '--trace', traces])).code).toBe(EXIT.ok);
    const files = fs.readdirSync(traces).filter((f) => f.endsWith('.jsonl'));
    expect(files).toHaveLength(2);
    const lines = fs.readFileSync(path.join(traces, files[0]!), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.some((l) => l.type === 'step.end' && l.call?.agent === 'manager')).toBe(true);

    const json = await cli(['report', traces, '--json']);
    expect(json.code).toBe(EXIT.ok);
    expect(JSON.parse(json.stdout)).toMatchObject({ runs: 2, runsWithVariants: 0 });

    const html = path.join(dir, 'report.html');
    const text = await cli(['report', traces, '--html', html]);
    expect(text.code).toBe(EXIT.ok);
    expect(text.stdout).toContain('2 runs');
    expect(fs.readFileSync(html, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('report without trace files is a usage error', async () => {
    expect(await cli(['report'])).toMatchObject({ code: EXIT.usage, stderr: expect.stringContaining('no trace files given') });
  });
});
