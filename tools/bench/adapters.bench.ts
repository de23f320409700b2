/**
 * Adapter overhead benchmark (docs/benchmarks.md, "Adapters"): the same streaming chat
 * request, against the same local simulator at near-zero latency, through the adapter
 * (`chat()` subscribed to completion) and through the raw client it wraps:
 *   - OllamaModelClient vs `new Ollama({ host }).chat({ stream: true })` against OllamaSimServer
 *   - OpenAICompatibleModelClient vs the `openai` SDK's streaming `chat.completions.create` against OpenAITestServer
 * Each adapter also runs on the raw client's transport (Node's built-in fetch) to separate
 * the adapter's own code from its default node:http transport.
 *
 * Requests are sequential; every round runs each variant once, in rotating order, so drift
 * and noise spread over all of them. Time to first token = until the first text arrives;
 * per request = until the stream has ended.
 *
 * Run: node tools/scripts/run-ts.cjs tools/bench/adapters.bench.ts [--requests 500] [--warmup 100]
 */
import { cpus, loadavg } from 'node:os';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import type { ChatEvent, ChatRequest, ModelClient } from '@flotilla/core';
import { OllamaModelClient } from '@flotilla/adapter-ollama';
import { OpenAICompatibleModelClient } from '@flotilla/adapter-openai';
import { OllamaSimServer, OpenAITestServer } from '@flotilla/testing';
import { type Variant, flag, measureRounds, stats } from './latency-rounds';

const REQUESTS = flag('requests', 500);
const WARMUP = flag('warmup', 100);

const REPLY = 'Harbours shelter ships from the open sea, and quays let them load and unload.';
const CHUNKS = 8;
const PROMPT = 'Say something about harbours.';

interface Sample {
  firstTokenMs: number;
  totalMs: number;
}

/** Subscribes to an adapter's stream and times the first delta and the end. */
function viaAdapter(client: ModelClient, request: ChatRequest): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let first: number | undefined;
    client.chat(request).subscribe({
      next: (e: ChatEvent) => {
        if (e.type === 'delta' && first === undefined) first = performance.now();
      },
      error: reject,
      complete: () => {
        const end = performance.now();
        resolve({ firstTokenMs: (first ?? end) - t0, totalMs: end - t0 });
      },
    });
  });
}

async function timeStream<T>(start: () => Promise<AsyncIterable<T>>, hasText: (chunk: T) => boolean): Promise<Sample> {
  const t0 = performance.now();
  let first: number | undefined;
  for await (const chunk of await start()) {
    if (first === undefined && hasText(chunk)) first = performance.now();
  }
  const end = performance.now();
  return { firstTokenMs: (first ?? end) - t0, totalMs: end - t0 };
}

const measure = (variants: readonly Variant<Sample>[]) => measureRounds(variants, WARMUP, REQUESTS);

/** Median over rounds of (variant - raw) first-token time: each pair ran back to back. */
function pairedMedian(variant: readonly Sample[], raw: readonly Sample[]): number {
  return stats(variant.map((s, i) => s.firstTokenMs - raw[i]!.firstTokenMs)).p50;
}

const ms = (n: number) => n.toFixed(3);
const signed = (n: number) => `${n >= 0 ? '+' : ''}${n.toFixed(3)}`;

/** Rows: each variant's p50/p99, and the adapters' added time over the raw client (difference of percentiles). */
function report(title: string, raw: string, samples: Map<string, Sample[]>): string {
  const rawTtft = stats(samples.get(raw)!.map((s) => s.firstTokenMs));
  const rawTotal = stats(samples.get(raw)!.map((s) => s.totalMs));
  const lines = [
    `### ${title}`,
    '',
    '| client | first token p50 | p99 | request p50 | p99 | added to first token p50 | p99 | added per request p50 | p99 | paired: median added to first token |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const [name, list] of samples) {
    const t = stats(list.map((s) => s.firstTokenMs));
    const r = stats(list.map((s) => s.totalMs));
    const added =
      name === raw
        ? '| (baseline) | | | | |'
        : `| ${signed(t.p50 - rawTtft.p50)} | ${signed(t.p99 - rawTtft.p99)} | ${signed(r.p50 - rawTotal.p50)} | ${signed(r.p99 - rawTotal.p99)} | ${signed(pairedMedian(list, samples.get(raw)!))} |`;
    lines.push(`| ${name} | ${ms(t.p50)} | ${ms(t.p99)} | ${ms(r.p50)} | ${ms(r.p99)} ${added}`);
  }
  return lines.join('\n');
}

async function ollamaSection(): Promise<string> {
  const model = 'bench:1b';
  // timeScale 0: no simulated load, prompt or token time; keep-alive forever so nothing reloads.
  const sim = new OllamaSimServer({ models: [model], timeScale: 0, keepAlive: -1, script: () => ({ text: REPLY, chunks: CHUNKS }) });
  const host = await sim.start();
  try {
    const request: ChatRequest = { model, messages: [{ role: 'user', content: PROMPT }] };
    const raw = new Ollama({ host });
    const adapter = new OllamaModelClient({ host });
    const adapterOnFetch = new OllamaModelClient({ host, fetch: globalThis.fetch });
    const samples = await measure([
      {
        name: 'raw `ollama` (built-in fetch)',
        run: () => timeStream(() => raw.chat({ model, messages: [{ role: 'user', content: PROMPT }], stream: true }), (c) => !!c.message?.content),
      },
      { name: 'OllamaModelClient (default node:http transport)', run: () => viaAdapter(adapter, request) },
      { name: 'OllamaModelClient on built-in fetch', run: () => viaAdapter(adapterOnFetch, request) },
    ]);
    return report('Ollama: OllamaModelClient vs `ollama` against OllamaSimServer', 'raw `ollama` (built-in fetch)', samples);
  } finally {
    await sim.close();
  }
}

async function openAISection(): Promise<string> {
  const model = 'bench-model';
  const server = new OpenAITestServer({
    models: [{ id: model, reply: REPLY }],
    timeScale: 0,
    latency: { firstTokenMs: 0, perTokenMs: 0, promptTokenMs: 0 },
    chunkChars: Math.ceil(REPLY.length / CHUNKS),
  });
  await server.start();
  try {
    const request: ChatRequest = { model, messages: [{ role: 'user', content: PROMPT }] };
    // The same SDK settings as the adapter, so the difference is the adapter.
    const raw = new OpenAI({ baseURL: server.baseURL, apiKey: 'sk-no-key-required', maxRetries: 0, logLevel: 'off' });
    const adapter = new OpenAICompatibleModelClient({ baseURL: server.baseURL, env: {}, discoverContextLength: false });
    const adapterOnFetch = new OpenAICompatibleModelClient({ baseURL: server.baseURL, env: {}, discoverContextLength: false, fetch: globalThis.fetch });
    const samples = await measure([
      {
        name: 'raw `openai` SDK (built-in fetch)',
        run: () =>
          timeStream(
            () =>
              raw.chat.completions.create({
                model,
                messages: [{ role: 'user', content: PROMPT }],
                stream: true,
                stream_options: { include_usage: true },
              }),
            (c) => !!c.choices[0]?.delta?.content,
          ),
      },
      { name: 'OpenAICompatibleModelClient (default node:http transport)', run: () => viaAdapter(adapter, request) },
      { name: 'OpenAICompatibleModelClient on built-in fetch', run: () => viaAdapter(adapterOnFetch, request) },
    ]);
    return report('OpenAI-compatible: OpenAICompatibleModelClient vs `openai` against OpenAITestServer', 'raw `openai` SDK (built-in fetch)', samples);
  } finally {
    await server.close();
  }
}

async function main(): Promise<void> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `node ${process.version}, ${cpus().length} x ${cpu}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; ${REQUESTS} sequential requests per client after ${WARMUP} warm-up rounds; ${CHUNKS} chunks a reply; times in ms\n`,
  );
  console.log(await ollamaSection());
  console.log();
  console.log(await openAISection());
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
