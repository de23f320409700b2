import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createFlotilla, defineAgent, FlotillaError, type AgentSpec, type Flotilla, type RunEvent } from '@flotilla/core';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: a real Ollama wire on loopback
import { OllamaModelClient } from '@flotilla/adapter-ollama';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the Ollama simulator
import { OllamaSimServer, processAlive } from '@flotilla/testing';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: a chain file names MCP tools
import { compileChainSource } from '@flotilla/chain';
import { connectMcp, type McpEvent, type McpServerConfig, type McpTools } from '../index';

const SERVER = resolve(__dirname, 'mcp-test-server.cjs');
const EVERYTHING = resolve(__dirname, '../../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const MODEL = 'qwen2.5:3b';

const sim = new OllamaSimServer({ models: [MODEL], timeScale: 0 });
let host: string;
beforeAll(async () => {
  host = await sim.start();
});
afterAll(() => sim.close());

const marksFile = () => join(mkdtempSync(join(tmpdir(), 'flotilla-mcp-')), 'marks.txt');
const stdio = (marks: string, more: Partial<McpServerConfig> = {}): McpServerConfig => ({ command: process.execPath, args: [SERVER, 'stdio'], env: { MCP_TEST_MARKS: marks }, ...more });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(check: () => boolean, ms = 3_000): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) if (check()) return true;
  return check();
}
const alive = processAlive;
const marks = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

function flotillaWith(mcp: McpTools): Flotilla {
  return createFlotilla({ client: new OllamaModelClient({ host }), tools: mcp.tools, closeables: [mcp] });
}

const pilots = new WeakMap<McpTools, AgentSpec<string, string>>();

/** The model (the simulator) calls one tool, then answers (its default reply); the agent lists the MCP tools by name, as a chain file does. */
function runOneCall(flotilla: Flotilla, mcp: McpTools, tool: string, args: Record<string, unknown>) {
  sim.scriptNext({ toolCalls: [{ name: tool, arguments: args }] });
  let agent = pilots.get(mcp);
  if (!agent) pilots.set(mcp, (agent = defineAgent({ name: 'pilot', model: MODEL, retries: 0, tools: mcp.tools.map((t) => t.name), prompt: (q: string) => q })));
  return flotilla.run(agent, 'Where can the ferry moor?');
}

function toolResult(trace: readonly RunEvent[]) {
  const r = trace.find((e) => e.type === 'tool.result');
  if (r?.type !== 'tool.result') throw new Error('no tool.result event');
  return r;
}

describe('MCP tools over stdio (a server written with the SDK)', () => {
  it('lists the tools as <server>_<tool> with their JSON Schemas, and an agent calls one through its tool loop', async () => {
    const mcp = await connectMcp({ port: stdio(marksFile()) });
    const flotilla = flotillaWith(mcp);
    expect(mcp.tools.map((t) => t.name)).toEqual(['port_harbours', 'port_fail', 'port_slow', 'port_whoami', 'port_env']);
    expect(mcp.tools[0]!.parameters).toMatchObject({ type: 'object', required: ['city'] });
    const result = await runOneCall(flotilla, mcp, 'port_harbours', { city: 'Oslo' }).result;
    expect(result.status).toBe('succeeded');
    expect(result.output).toMatch(/answering/);
    expect(toolResult(result.trace)).toMatchObject({ ok: true, tool: 'port_harbours', content: '{"city":"Oslo","harbours":["Vippetangen","Filipstad"]}' });
    // The tool message reached the model's next request.
    const second = sim.generationRequests().at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(second.messages.at(-1)).toMatchObject({ role: 'tool', content: expect.stringContaining('Vippetangen') });
    await flotilla.close();
  });

  it('feeds a tool error (a result the server marks isError, invalid arguments) back to the model', async () => {
    const mcp = await connectMcp({ port: stdio(marksFile()) });
    const flotilla = flotillaWith(mcp);
    const failed = await runOneCall(flotilla, mcp, 'port_fail', { why: 'storm' }).result;
    expect(failed.status).toBe('succeeded');
    expect(toolResult(failed.trace)).toMatchObject({ ok: false, error: expect.objectContaining({ kind: 'badOutput' }), content: expect.stringContaining('no harbour master today (storm)') });
    const second = sim.generationRequests().at(-1)!.body as { messages: { role: string; content: string }[] };
    expect(second.messages.at(-1)!.content).toContain('no harbour master today (storm)');
    // Checked against the server's JSON Schema before it is sent: the server never sees it.
    const invalid = await runOneCall(flotilla, mcp, 'port_harbours', { town: 'Oslo' }).result;
    expect(toolResult(invalid.trace)).toMatchObject({ ok: false, content: expect.stringMatching(/invalid arguments for tool "port_harbours"/) });
    await flotilla.close();
  });

  it('times a call out and the cancel reaches the server', async () => {
    const file = marksFile();
    const mcp = await connectMcp({ port: stdio(file, { timeoutMs: 300 }) });
    const flotilla = flotillaWith(mcp);
    const started = Date.now();
    const result = await runOneCall(flotilla, mcp, 'port_slow', { ms: 10_000 }).result;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(toolResult(result.trace)).toMatchObject({ ok: false, error: expect.objectContaining({ kind: 'timeout' }) });
    expect(await until(() => marks(file).includes('cancelled slow'))).toBe(true);
    await flotilla.close();
  });

  it('a cancelled run cancels the call on the server', async () => {
    const file = marksFile();
    const mcp = await connectMcp({ port: stdio(file) });
    const flotilla = flotillaWith(mcp);
    const run = runOneCall(flotilla, mcp, 'port_slow', { ms: 10_000 });
    for await (const event of run) {
      if (event.type === 'tool.call') {
        await sleep(100);
        await run.cancel(new Error('user pressed Ctrl-C'));
      }
    }
    const result = await run.result;
    expect(result.status).toBe('cancelled');
    expect(await until(() => marks(file).includes('cancelled slow'))).toBe(true);
    await flotilla.close();
  });

  it('a server killed mid-call is an unavailable tool error, reported, and is restarted on next use', async () => {
    const events: McpEvent[] = [];
    const mcp = await connectMcp({ port: stdio(marksFile()) }, { onEvent: (e) => events.push(e) });
    const flotilla = flotillaWith(mcp);
    const first = mcp.server('port').pid!;
    expect(alive(first)).toBe(true);
    const run = runOneCall(flotilla, mcp, 'port_slow', { ms: 10_000 });
    for await (const event of run) if (event.type === 'tool.call') setTimeout(() => process.kill(first, 'SIGKILL'), 100);
    const killed = await run.result;
    expect(killed.status).toBe('succeeded');
    expect(toolResult(killed.trace)).toMatchObject({ ok: false, error: expect.objectContaining({ kind: 'unavailable' }), content: expect.stringMatching(/MCP server "port"/) });
    expect(events).toContainEqual(expect.objectContaining({ type: 'disconnected', server: 'port', pid: first, error: expect.any(FlotillaError) }));
    const again = await runOneCall(flotilla, mcp, 'port_whoami', {}).result;
    const pid = Number(toolResult(again.trace).content);
    expect(toolResult(again.trace).ok).toBe(true);
    expect(pid).not.toBe(first);
    expect(mcp.server('port').pid).toBe(pid);
    expect(mcp.server('port').connects).toBe(2);
    await flotilla.close();
    expect(await until(() => !alive(pid))).toBe(true);
  });

  it('a chain file names the MCP tools only; a command in it is refused', async () => {
    const mcp = await connectMcp({ port: stdio(marksFile(), { tools: ['harbours'] }) });
    const flotilla = flotillaWith(mcp);
    const chain = 'version: 2\nname: moor\nagents:\n  pilot:\n    model: qwen2.5:3b\n    prompt: "Moor in {{this}}"\n    tools: [port_harbours]\nsteps:\n  - call: pilot\n';
    const compiled = await compileChainSource(chain, 'chain.yaml', { tools: mcp.tools.map((t) => t.name) });
    sim.scriptNext({ toolCalls: [{ name: 'port_harbours', arguments: { city: 'Oslo' } }] });
    const result = await flotilla.run(compiled.chain, 'Oslo').result;
    expect(toolResult(result.trace)).toMatchObject({ ok: true, content: expect.stringContaining('Vippetangen') });
    const smuggled = chain.replace('    tools: [port_harbours]\n', '    tools: [port_harbours]\n    mcp: { command: rm, args: [-rf, /] }\n');
    await expect(compileChainSource(smuggled, 'chain.yaml', { tools: mcp.tools.map((t) => t.name) })).rejects.toThrow(/mcp/);
    await flotilla.close();
  });

  it('flotilla.close() stops the stdio server process: no orphan', async () => {
    const mcp = await connectMcp({ port: stdio(marksFile()) });
    const flotilla = flotillaWith(mcp);
    const pid = mcp.server('port').pid!;
    expect(alive(pid)).toBe(true);
    await flotilla.close();
    expect(await until(() => !alive(pid))).toBe(true);
    expect(mcp.server('port').pid).toBeUndefined();
  });

  it('a configuration mistake is a config error naming the server; a program that cannot start is unavailable', async () => {
    await expect(connectMcp({ port: { command: 'node', url: 'http://127.0.0.1:1/mcp' } })).rejects.toMatchObject({ kind: 'config', message: expect.stringContaining('MCP server "port"') });
    await expect(connectMcp({ 'a.b': { command: 'node' } })).rejects.toMatchObject({ kind: 'config' });
    await expect(connectMcp({ port: stdio(marksFile(), { tools: ['harbours', 'nope'] }) })).rejects.toMatchObject({ kind: 'config', message: expect.stringContaining('nope') });
    await expect(connectMcp({ gone: { command: join(tmpdir(), 'no-such-mcp-server'), connectTimeoutMs: 2_000 } })).rejects.toMatchObject({ kind: 'unavailable', message: expect.stringContaining('MCP server "gone" could not be started') });
  });
});

describe('MCP tools over streamable HTTP (the same server on 127.0.0.1)', () => {
  function startHttp(marks: string, port = 0): Promise<{ child: ChildProcess; port: number }> {
    const child = spawn(process.execPath, [SERVER, 'http'], { env: { ...process.env, MCP_TEST_MARKS: marks, MCP_TEST_PORT: String(port) }, stdio: ['ignore', 'pipe', 'inherit'] });
    return new Promise((ok, fail) => {
      child.once('error', fail);
      child.stdout!.on('data', (d: Buffer) => {
        const m = /listening (\d+)/.exec(d.toString());
        if (m) ok({ child, port: Number(m[1]) });
      });
    });
  }
  const stop = (child: ChildProcess) => new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : (child.once('exit', () => r()), child.kill('SIGKILL'))));

  it('calls a tool through the loop, cancels on the server, and reconnects after the server went away', async () => {
    const file = marksFile();
    let server = await startHttp(file);
    const events: McpEvent[] = [];
    const mcp = await connectMcp({ web: { url: `http://127.0.0.1:${server.port}/mcp`, timeoutMs: 300, connectTimeoutMs: 2_000 } }, { onEvent: (e) => events.push(e) });
    const flotilla = flotillaWith(mcp);
    try {
      const ok = await runOneCall(flotilla, mcp, 'web_harbours', { city: 'Oslo' }).result;
      expect(toolResult(ok.trace)).toMatchObject({ ok: true, content: expect.stringContaining('Filipstad') });
      const slow = await runOneCall(flotilla, mcp, 'web_slow', { ms: 10_000 }).result;
      expect(toolResult(slow.trace)).toMatchObject({ ok: false, error: expect.objectContaining({ kind: 'timeout' }) });
      expect(await until(() => marks(file).includes('cancelled slow'))).toBe(true);

      await stop(server.child);
      const down = await runOneCall(flotilla, mcp, 'web_harbours', { city: 'Oslo' }).result;
      expect(toolResult(down.trace)).toMatchObject({ ok: false, error: expect.objectContaining({ kind: 'unavailable' }) });
      server = await startHttp(file, server.port);
      const back = await runOneCall(flotilla, mcp, 'web_harbours', { city: 'Oslo' }).result;
      expect(toolResult(back.trace)).toMatchObject({ ok: true, content: expect.stringContaining('Vippetangen') });
      expect(mcp.server('web').connects).toBe(2);
    } finally {
      await flotilla.close();
      await stop(server.child);
    }
  });
});

describe('MCP tools of @modelcontextprotocol/server-everything over stdio', () => {
  it('lists its tools and an agent calls its echo tool; close() stops it', async () => {
    const mcp = await connectMcp({ everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] } });
    const flotilla = flotillaWith(mcp);
    const names = mcp.tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['everything_echo', 'everything_get-sum']));
    const result = await runOneCall(flotilla, mcp, 'everything_echo', { message: 'ahoy' }).result;
    expect(toolResult(result.trace)).toMatchObject({ ok: true, content: expect.stringContaining('ahoy') });
    const sum = await runOneCall(flotilla, mcp, 'everything_get-sum', { a: 2, b: 40 }).result;
    expect(toolResult(sum.trace)).toMatchObject({ ok: true, content: expect.stringContaining('42') });
    const pid = mcp.server('everything').pid!;
    await flotilla.close();
    expect(await until(() => !alive(pid))).toBe(true);
  });
});
