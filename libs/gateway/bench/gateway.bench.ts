/**
 * Gateway benchmark (docs/benchmarks.md, "Gateway"). The gateway runs as `flotilla serve` in a
 * child process (so its RSS is its own); the simulators and the clients run here.
 *
 * 1. Added latency: sequential streaming requests of 8 chunks, each variant once per round in
 *    rotating order, 100 warm-up rounds then 500 measured, simulators at timeScale 0:
 *    - Ollama in -> Ollama backend: `ollama` client to the gateway vs to OllamaSimServer directly
 *    - OpenAI in -> OpenAI-compatible backend: `openai` client to the gateway vs to OpenAITestServer directly
 *    - OpenAI in -> Ollama backend: `openai` client to the gateway vs to OllamaSimServer's /v1 directly
 *    First token = until the first text; last token = until the stream has ended.
 *    A fourth pair sends the Ollama variant through a bare node:http pass-through proxy (its own
 *    process, no parsing): the cost of one more hop on this machine, apart from the gateway's code.
 * 2. Throughput: `--clients` concurrent non-streaming Ollama chats for `--seconds` against an
 *    instant backend; requests per second, and the gateway's CPU share over that time.
 * 3. Memory: the gateway's RSS after start, at idle (after one request), its peak under load, and
 *    idle again `--settle` seconds (3) after the load.
 *
 * Run: node tools/scripts/run-ts.cjs libs/gateway/bench/gateway.bench.ts [--requests 500] [--warmup 100] [--clients 32] [--seconds 10] [--dist] [--skip-latency] [--settle 3]
 * (`--dist`: the gateway from the compiled build, dist/apps/cli/src/main.js, after `npx nx run-many -t build`;
 * without it, from source through tools/scripts/run-ts.cjs.)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, Agent } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
// eslint-disable-next-line @nx/enforce-module-boundaries -- a benchmark: the simulators stand in for servers
import { OllamaSimServer, OpenAITestServer } from '@flotilla/testing';
import { startServe } from './serve-process';
import { type Variant, flag, measureRounds, stats } from '../../../tools/bench/latency-rounds';

const REQUESTS = flag('requests', 500);
const WARMUP = flag('warmup', 100);
const CLIENTS = flag('clients', 32);
const SECONDS = flag('seconds', 10);
const DIST = process.argv.includes('--dist');
/** Only throughput and memory (the latency rounds take minutes). */
const SKIP_LATENCY = process.argv.includes('--skip-latency');
/** Seconds to wait after the load before the last RSS reading. */
const SETTLE_SECONDS = flag('settle', 3);

const REPLY = 'Harbours shelter ships from the open sea, and quays let them load and unload.';
const CHUNKS = 8;
const PROMPT = 'Say something about harbours.';
const OLLAMA_MODEL = 'bench:1b';
const OPENAI_MODEL = 'bench-openai';

interface Sample {
  firstMs: number;
  lastMs: number;
}

async function timeStream<T>(start: () => Promise<AsyncIterable<T>>, hasText: (chunk: T) => boolean): Promise<Sample> {
  const t0 = performance.now();
  let first: number | undefined;
  for await (const chunk of await start()) if (first === undefined && hasText(chunk)) first = performance.now();
  const end = performance.now();
  return { firstMs: (first ?? end) - t0, lastMs: end - t0 };
}

const measure = (variants: readonly Variant<Sample>[]) => measureRounds(variants, WARMUP, REQUESTS);

/** A pass-through proxy in its own process: request and response piped, nothing parsed. */
const BARE_PROXY = `
const http = require('node:http');
const target = new URL(process.argv[1]);
const agent = new http.Agent({ keepAlive: true });
const server = http.createServer((req, res) => {
  const up = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers, agent }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  req.pipe(up);
});
server.listen(0, '127.0.0.1', () => console.log('proxy on http://127.0.0.1:' + server.address().port));
`;

async function startBareProxy(target: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', BARE_PROXY, target], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((res, rej) => {
    child.stdout!.once('data', (d) => res(/http:\/\/\S+/.exec(String(d))![0]));
    child.once('exit', (code) => rej(new Error(`the bare proxy exited (${code})`)));
  });
  return { url, child };
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const cpuTicks = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100 per second)
};

function postJson(agent: Agent, url: string, body: string): Promise<number> {
  return new Promise((res, rej) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (r) => {
      r.resume();
      r.on('end', () => res(r.statusCode ?? 0));
    });
    req.on('error', rej);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const sim = new OllamaSimServer({ models: [OLLAMA_MODEL], timeScale: 0, keepAlive: -1, script: () => ({ text: REPLY, chunks: CHUNKS }) });
  const oai = new OpenAITestServer({ models: [{ id: OPENAI_MODEL, reply: REPLY }], timeScale: 0, latency: { firstTokenMs: 0, perTokenMs: 0, promptTokenMs: 0 }, chunkChars: Math.ceil(REPLY.length / CHUNKS) });
  await sim.start();
  await oai.start();
  const dir = mkdtempSync(join(tmpdir(), 'gateway-bench-'));
  const config = join(dir, 'fleet.yaml');
  writeFileSync(config, `endpoints:\n  - { name: ollama, kind: ollama, url: "${sim.url}", slots: ${CLIENTS} }\n  - { name: openai, kind: openai, url: "${oai.baseURL}", slots: ${CLIENTS} }\n`);
  const { url, child } = await startServe(['--config', config], { dist: DIST });
  const startRss = rssMb(child.pid!);
  const proxy = await startBareProxy(sim.url);
  const out: string[] = [];
  try {
    const messages = [{ role: 'user' as const, content: PROMPT }];
    const ollamaDirect = new Ollama({ host: sim.url });
    const ollamaGateway = new Ollama({ host: url });
    const ollamaProxy = new Ollama({ host: proxy.url });
    const openaiDirect = new OpenAI({ baseURL: oai.baseURL, apiKey: 'x', maxRetries: 0, logLevel: 'off' });
    const openaiGateway = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'x', maxRetries: 0, logLevel: 'off' });
    const openaiToSim = new OpenAI({ baseURL: `${sim.url}/v1`, apiKey: 'x', maxRetries: 0, logLevel: 'off' });
    await ollamaGateway.chat({ model: OLLAMA_MODEL, messages });
    const idleRss = rssMb(child.pid!);
    const oaiStream = (c: OpenAI, model: string) => () =>
      timeStream(() => c.chat.completions.create({ model, messages, stream: true }), (x) => !!x.choices[0]?.delta.content);
    const olStream = (c: Ollama) => () => timeStream(() => c.chat({ model: OLLAMA_MODEL, messages, stream: true }), (x) => !!x.message.content);
    const pairs: [string, string, string][] = [
      ['Ollama in -> Ollama backend', 'ollama direct', 'ollama via gateway'],
      ['OpenAI in -> OpenAI-compatible backend', 'openai direct', 'openai via gateway'],
      ['OpenAI in -> Ollama backend', 'openai to ollama /v1 direct', 'openai via gateway to ollama'],
      ['(reference) Ollama through a bare node:http proxy', 'ollama direct', 'ollama via bare proxy'],
    ];
    const load0 = loadavg()[0]!;
    out.push(`Node ${process.version}, ${cpus().length} x ${cpus()[0]?.model}, ${new Date().toISOString()}, gateway from ${DIST ? 'dist' : 'source'}, load average ${load0.toFixed(2)} at the start`);
    if (!SKIP_LATENCY) {
      const samples = await measure([
        { name: 'ollama direct', run: olStream(ollamaDirect) },
        { name: 'ollama via gateway', run: olStream(ollamaGateway) },
        { name: 'ollama via bare proxy', run: olStream(ollamaProxy) },
        { name: 'openai direct', run: oaiStream(openaiDirect, OPENAI_MODEL) },
        { name: 'openai via gateway', run: oaiStream(openaiGateway, OPENAI_MODEL) },
        { name: 'openai to ollama /v1 direct', run: oaiStream(openaiToSim, OLLAMA_MODEL) },
        { name: 'openai via gateway to ollama', run: oaiStream(openaiGateway, OLLAMA_MODEL) },
      ]);
      const f = (n: number) => n.toFixed(3);
      const s = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(3)}`;
      out.push(`load average ${loadavg()[0]!.toFixed(2)} after the latency runs`);
      out.push('', `### Added latency (${REQUESTS} measured + ${WARMUP} warm-up per variant, ms)`, '');
      out.push('| variant | direct first p50 | p99 | via gateway first p50 | p99 | added to first token p50 | p99 | added to last token p50 | p99 | paired median added, first / last |');
      out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
      for (const [title, direct, via] of pairs) {
        const d = samples.get(direct)!;
        const g = samples.get(via)!;
        const df = stats(d.map((x) => x.firstMs));
        const gf = stats(g.map((x) => x.firstMs));
        const dl = stats(d.map((x) => x.lastMs));
        const gl = stats(g.map((x) => x.lastMs));
        const pf = stats(g.map((x, i) => x.firstMs - d[i]!.firstMs)).p50;
        const pl = stats(g.map((x, i) => x.lastMs - d[i]!.lastMs)).p50;
        out.push(`| ${title} | ${f(df.p50)} | ${f(df.p99)} | ${f(gf.p50)} | ${f(gf.p99)} | ${s(gf.p50 - df.p50)} | ${s(gf.p99 - df.p99)} | ${s(gl.p50 - dl.p50)} | ${s(gl.p99 - dl.p99)} | ${s(pf)} / ${s(pl)} |`);
      }
    }

    // Throughput: CLIENTS concurrent non-streaming chats, keep-alive connections.
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    const body = JSON.stringify({ model: OLLAMA_MODEL, messages, stream: false });
    let done = 0;
    let failed = 0;
    let peakRss = idleRss;
    const cpu0 = cpuTicks(child.pid!);
    const t0 = performance.now();
    const end = t0 + SECONDS * 1000;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMb(child.pid!))), 100);
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (performance.now() < end) {
          if ((await postJson(agent, `${url}/api/chat`, body)) === 200) done++;
          else failed++;
        }
      }),
    );
    clearInterval(sampler);
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = (cpuTicks(child.pid!) - cpu0) / 100 / elapsed;
    agent.destroy();
    const loadAfter = loadavg()[0]!;
    await new Promise((r) => setTimeout(r, SETTLE_SECONDS * 1000));
    const afterRss = rssMb(child.pid!);
    out.push('', `### Throughput and memory (${CLIENTS} concurrent clients, ${SECONDS} s, non-streaming Ollama chats of 8 chunks, instant backend)`, '');
    out.push(`| gateway from | requests/s | failed | gateway CPU (cores) | gateway RSS after start (MB) | idle after one request (MB) | peak under load (MB) | idle ${SETTLE_SECONDS} s after the load (MB) | load average at idle / after load |`);
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---|');
    out.push(`| ${DIST ? 'dist' : 'source'} | ${(done / elapsed).toFixed(0)} | ${failed} | ${cpu.toFixed(2)} | ${startRss.toFixed(1)} | ${idleRss.toFixed(1)} | ${peakRss.toFixed(1)} | ${afterRss.toFixed(1)} | ${load0.toFixed(2)} / ${loadAfter.toFixed(2)} |`);
  } finally {
    proxy.child.kill('SIGKILL');
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await sim.close();
    await oai.close();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(out.join('\n'));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
