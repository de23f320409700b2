import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OllamaSimServer, processAlive as alive } from '@flotilla/testing';
import { runCli } from './testing/run-cli';
import { serveInProcess as serve } from './testing/serve-in-process';

const EXAMPLE = path.resolve(__dirname, '../../../examples/dependency-audit');
const TOOLS = path.join(EXAMPLE, 'tools.mjs');
/** An MCP server written with the official SDK (libs/mcp's own test server), started over stdio by the run. */
const MCP_SERVER = path.resolve(__dirname, '../../../libs/mcp/src/spec/mcp-test-server.cjs');

const lines = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown> & { type: string });

describe('tools on the command line', () => {
  jest.setTimeout(60_000);
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-cli-tools-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs a tool-using agent from a --tools module on the fixture backend; the tool turns are in the events, the trace file and the HTML report', async () => {
    const traces = path.join(dir, 'traces');
    fs.mkdirSync(traces);
    const { code, stdout, stderr } = await runCli(['run', path.join(EXAMPLE, 'chain.yaml'), '--tools', TOOLS, '--input-file', path.join(EXAMPLE, 'input.yaml'), '--trace', traces, '--format', 'jsonl']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const events = lines(stdout);
    const calls = events.filter((e) => e.type === 'tool.call');
    // One reply asked for three lookups; they ran (in parallel) and went back to the model in call order.
    expect(calls.map((e) => [e['key'], e['round'], e['index'], e['tool'], e['arguments']])).toEqual([
      ['audit', 0, 0, 'package_info', { name: 'left-pad' }],
      ['audit', 0, 1, 'package_info', { name: 'request' }],
      ['audit', 0, 2, 'package_info', { name: 'lodash' }],
    ]);
    const results = events.filter((e) => e.type === 'tool.result');
    expect(results.map((e) => [e['ok'], JSON.parse(e['content'] as string).name])).toEqual([
      [true, 'left-pad'],
      [true, 'request'],
      [true, 'lodash'],
    ]);
    // What tools.mjs answered is what the model was given.
    expect(JSON.parse(results[0]!['content'] as string)).toEqual({ name: 'left-pad', latest: '1.3.0', license: 'WTFPL', deprecated: 'use String.prototype.padStart()' });
    const end = events.at(-1)!;
    expect(end['result']).toMatchObject({ status: 'succeeded', modelCalls: 3 });
    expect(String((end['result'] as { output: string }).output)).toMatch(/^Dependencies: left-pad is replaced/);

    const [traceFile] = fs.readdirSync(traces);
    const traced = lines(fs.readFileSync(path.join(traces, traceFile!), 'utf8'));
    expect(traced.filter((e) => e.type === 'tool.call').map((e) => (e['arguments'] as { name: string }).name)).toEqual(['left-pad', 'request', 'lodash']);
    expect(traced.filter((e) => e.type === 'tool.result').every((e) => e['ok'] === true)).toBe(true);

    const html = path.join(dir, 'report.html');
    const report = await runCli(['report', '--html', html, path.join(traces, traceFile!)]);
    expect(report.code).toBe(0);
    const page = fs.readFileSync(html, 'utf8');
    expect(page.match(/data-tool="package_info"/g)?.length).toBe(3);
  });

  it('validate checks the tool names against the modules: unknown names where the file writes them, with the closest one', async () => {
    const chain = path.join(EXAMPLE, 'chain.yaml');
    const ok = await runCli(['validate', chain, '--tools', TOOLS]);
    expect(ok.stdout).toContain('dependency-audit/chain.yaml: ok');
    expect(ok.code).toBe(0);
    const none = await runCli(['validate', chain]);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain(`${chain}:24:13: error: agent "auditor": unknown tool "package_info"; known tools: none`);
    expect(none.stdout).toContain('export it from a --tools module, or name an MCP server in the fleet file');
    const other = path.join(dir, 'other.mjs');
    fs.writeFileSync(other, `export const t = { name: 'package_infos', input: { type: 'object' }, run: () => 'x' };\n`);
    const typo = await runCli(['run', chain, '--tools', other, '--input-file', path.join(EXAMPLE, 'input.yaml')]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown tool "package_info"; known tools: package_infos');
    expect(typo.stderr).toContain('did you mean "package_infos"?');
  });

  it('a --tools mistake is a usage error naming the file, without a stack trace', async () => {
    const bad = path.join(dir, 'bad.mjs');
    fs.writeFileSync(bad, 'export const t = {\n  name: "x",,\n};\n');
    const r = await runCli(['run', path.join(EXAMPLE, 'chain.yaml'), '--tools', bad, '--input-file', path.join(EXAMPLE, 'input.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--tools ${bad}: failed to load: ${bad}:2:13: Unexpected token ','`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const missing = await runCli(['validate', path.join(EXAMPLE, 'chain.yaml'), '--tools', path.join(dir, 'nowhere.mjs')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nowhere.mjs: no such file');
  });

  describe("MCP servers of the fleet file's mcp: section", () => {
    let sim: OllamaSimServer;
    let fleet: string;
    let chain: string;
    const CHAIN = (tools: string) => `version: 2
name: moor
agents:
  pilot:
    model: "pilot:3b"
    tools: [${tools}]
    prompt: "Where can a ferry moor in {{this}}?"
steps:
  - call: pilot
`;
    beforeAll(async () => {
      // The Ollama simulator: on the first call the model asks for both tools, then answers with what they returned.
      sim = new OllamaSimServer({
        models: [{ name: 'pilot:3b', loadMs: 0, firstTokenMs: 0, tokensPerSec: 20_000, promptTokensPerSec: 1_000_000 }],
        script: (ctx) => {
          const tool = ctx.messages.filter((m) => m.role === 'tool');
          const offered = (ctx.tools ?? []).map((t) => (t as { function: { name: string } }).function.name);
          if (offered.includes('package_info') && tool.length === 0) return { toolCalls: [{ name: 'package_info', arguments: { name: 'lodash' } }] };
          if (offered.includes('keyed_env') && tool.length === 0) return { toolCalls: [{ name: 'keyed_env', arguments: { name: 'PORT_TOKEN' } }] };
          if (offered.length && tool.length === 0) {
            return { toolCalls: [{ name: 'port_harbours', arguments: { city: 'Oslo' } }, { name: 'port_whoami', arguments: {} }] };
          }
          return { text: `moor at: ${tool.map((m) => m.content).join(' | ')}` };
        },
      });
      await sim.start();
      fleet = path.join(dir, 'fleet.yaml');
      fs.writeFileSync(
        fleet,
        [
          `endpoints:\n  - { name: local, kind: ollama, url: "${sim.url}" }`,
          'mcp:',
          `  port: { command: "${process.execPath}", args: ["${MCP_SERVER}", stdio], timeoutMs: 5000 }`,
          `  unused: { command: "${path.join(dir, 'no-such-program')}" }`,
          `  keyed: { command: "${process.execPath}", args: ["${MCP_SERVER}", stdio], passEnv: [PORT_TOKEN] }`,
          '',
        ].join('\n'),
      );
      chain = path.join(dir, 'moor.yaml');
      fs.writeFileSync(chain, CHAIN('port_harbours, port_whoami'));
    });
    afterAll(() => sim.close());

    it('starts only the servers whose tools the chain names, runs their tools through the run, and stops them when the run ends', async () => {
      const { code, stdout, stderr } = await runCli(['run', chain, '--config', fleet, '--input', 'Oslo', '--format', 'jsonl']);
      expect(stderr).toBe('');
      expect(code).toBe(0);
      const events = lines(stdout);
      expect(events.filter((e) => e.type === 'tool.call').map((e) => e['tool'])).toEqual(['port_harbours', 'port_whoami']);
      const results = events.filter((e) => e.type === 'tool.result');
      expect(results.map((e) => e['ok'])).toEqual([true, true]);
      expect(results[0]!['content']).toBe('{"city":"Oslo","harbours":["Vippetangen","Filipstad"]}');
      const pid = Number(results[1]!['content']);
      expect(pid).toBeGreaterThan(0);
      expect(pid).not.toBe(process.pid);
      expect((events.at(-1)!['result'] as { output: string }).output).toBe(`moor at: {"city":"Oslo","harbours":["Vippetangen","Filipstad"]} | ${pid}`);
      // The stdio server was the run's: closed with it (the "unused" server, whose program does not exist, was never started).
      expect(alive(pid)).toBe(false);
      // The model was offered the MCP tools' own schemas.
      const offered = (sim.requests.find((r) => r.path === '/api/chat')!.body as { tools: { function: { name: string; parameters: unknown } }[] }).tools;
      expect(offered.map((t) => t.function.name)).toEqual(['port_harbours', 'port_whoami']);
      expect(offered[0]!.function.parameters).toMatchObject({ properties: { city: { type: 'string', maxLength: 40 } }, required: ['city'] });
    });

    it('validate lists the servers\' tools: a misspelt MCP tool is reported with the closest name', async () => {
      const typo = path.join(dir, 'typo.yaml');
      fs.writeFileSync(typo, CHAIN('port_harbour'));
      const r = await runCli(['validate', typo, '--config', fleet]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`${typo}:6:13: error: agent "pilot": unknown tool "port_harbour"`);
      expect(r.stdout).toContain('did you mean "port_harbours"?');
      expect((await runCli(['validate', chain, '--config', fleet])).code).toBe(0);
    });

    it("a server's secret comes from the environment: unset, the run is refused naming the fleet file and the variable", async () => {
      const keyed = path.join(dir, 'keyed.yaml');
      fs.writeFileSync(keyed, CHAIN('keyed_env'));
      const r = await runCli(['run', keyed, '--config', fleet, '--input', 'Oslo']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`${fleet}: mcp.keyed.passEnv: the environment variable PORT_TOKEN is not set`);
      const set = await runCli(['run', keyed, '--config', fleet, '--input', 'Oslo', '--format', 'jsonl'], { env: { PORT_TOKEN: 'harbour-secret' } });
      expect(set.code).toBe(0);
      // The server got the variable (its env tool says so without echoing it), and nothing the run printed holds it.
      expect(lines(set.stdout).find((e) => e.type === 'tool.result')!['content']).toBe('set, 14 characters');
      expect(set.stdout).not.toContain('harbour-secret');
    });

    it('flotilla serve --chains gives the chains it serves the tools of --tools modules and of every MCP server in the fleet file', async () => {
      const folder = path.join(dir, 'served');
      fs.mkdirSync(folder);
      fs.writeFileSync(path.join(folder, 'moor.yaml'), CHAIN('port_harbours, port_whoami'));
      fs.writeFileSync(path.join(folder, 'audit.yaml'), CHAIN('package_info'));
      const served = path.join(dir, 'served-fleet.yaml');
      fs.writeFileSync(served, fs.readFileSync(fleet, 'utf8').split('\n').filter((l) => !l.includes('unused') && !l.includes('keyed')).join('\n'));
      const server = serve(['--config', served, '--port', '0', '--chains', folder, '--tools', TOOLS]);
      try {
        const url = await server.url;
        const res = await fetch(`${url}/v1/runs/moor`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ input: 'Oslo' }), signal: AbortSignal.timeout(20_000) });
        const body = (await res.json()) as { status: string; output: string };
        expect(body).toMatchObject({ status: 'succeeded' });
        expect(body.output).toMatch(/^moor at: \{"city":"Oslo","harbours":\["Vippetangen","Filipstad"\]\} \| \d+$/);
        // The --tools module's tool, in a chain the gateway serves.
        const audit = await fetch(`${url}/v1/runs/audit`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ input: 'lodash' }), signal: AbortSignal.timeout(20_000) });
        expect(await audit.json()).toMatchObject({ status: 'succeeded', output: 'moor at: {"name":"lodash","latest":"4.17.21","license":"MIT"}' });
      } finally {
        server.stop();
        expect(await server.code).toBe(0);
      }
      const alone = await runCli(['serve', '--config', served, '--port', '0', '--tools', TOOLS]);
      expect(alone.code).toBe(2);
      expect(alone.stderr).toContain('flotilla serve --tools: only with --chains <folder>');
    });
  });
});
