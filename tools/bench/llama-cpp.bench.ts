/**
 * Embedded engine benchmark (docs/benchmarks.md, "Embedded engine (llama.cpp)"): tokens/s
 * of LlamaCppModelClient against node-llama-cpp used directly on the same synthetic model,
 * and combined throughput with 1, 2 and 4 concurrent sequences.
 *
 * Run: node tools/scripts/run-ts.cjs tools/bench/llama-cpp.bench.ts [--quick] [--threads-sweep]
 * (--threads-sweep adds 2 threads; on a 2-core machine that takes minutes: see docs/embedded-engine.md)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom, toArray } from 'rxjs';
import type { ChatRequest, FinalEvent } from '@flotilla/core';
import { LlamaCppModelClient, importNodeLlamaCpp, sharedLlama } from '@flotilla/adapter-llama-cpp';
import { type SyntheticGgufOptions, writeSyntheticGguf } from '@flotilla/testing';

const quick = process.argv.includes('--quick');
const sweep = process.argv.includes('--threads-sweep');
const ROUNDS = quick ? 6 : 20;
const TOKENS = 256;
const PROMPT = 'Write a function that reverses a string, with tests.';

const MODELS: Record<string, SyntheticGgufOptions> = {
  'tiny (2 layers, width 128, 2 MB)': { seed: 1, stopBias: -30, layers: 2, width: 128, heads: 4 },
  'small (4 layers, width 512, 56 MB)': { seed: 1, stopBias: -30, layers: 4, width: 512, heads: 8 },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

/** node-llama-cpp on its own: one LlamaChat on one sequence, the same history and sampling. */
async function directRunner(path: string, threads: number) {
  const m = await importNodeLlamaCpp();
  // The same backend instance the adapter uses: only the layers above it differ.
  const llama = await sharedLlama(threads);
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: 2048, sequences: 1, threads });
  const chat = new m.LlamaChat({ contextSequence: context.getSequence(), chatWrapper: m.resolveChatWrapper(model) });
  const history = () => [
    { type: 'user' as const, text: PROMPT },
    { type: 'model' as const, response: [] },
  ];
  return {
    async run(seed: number): Promise<{ ms: number; tokens: number }> {
      let tokens = 0;
      let text = '';
      const t0 = performance.now();
      await chat.generateResponse(history(), {
        maxTokens: TOKENS,
        temperature: 0.8,
        seed,
        onToken: (t) => (tokens += t.length),
        onTextChunk: (s) => (text += s),
      });
      return { ms: performance.now() - t0, tokens };
    },
    async close() {
      chat.dispose();
      await context.dispose();
      await model.dispose();
    },
  };
}

function adapterRunner(path: string, threads: number, slots: number) {
  const client = new LlamaCppModelClient({ models: { m: { path, slots, contextSize: 2048 } }, threads });
  const request = (seed: number): ChatRequest => ({
    model: 'm',
    messages: [{ role: 'user', content: PROMPT }],
    options: { maxTokens: TOKENS, temperature: 0.8, seed },
  });
  const one = async (seed: number) => {
    const events = await lastValueFrom(client.chat(request(seed)).pipe(toArray()));
    return events.find((e): e is FinalEvent => e.type === 'final')!;
  };
  return {
    client,
    async run(seed: number): Promise<{ ms: number; tokens: number; outsideMs: number }> {
      const t0 = performance.now();
      const f = await one(seed);
      const ms = performance.now() - t0;
      // Time the adapter spends before the first token's evaluation and after the last one.
      const outsideMs = ms - (f.timings.promptEvalMs ?? 0) - (f.timings.evalMs ?? 0);
      return { ms, tokens: f.usage.completionTokens, outsideMs };
    },
    /** `n` requests at once; combined tokens per second of wall time. */
    async parallel(n: number, seed: number): Promise<number> {
      const t0 = performance.now();
      const finals = await Promise.all(Array.from({ length: n }, (_, i) => one(seed + i)));
      const tokens = finals.reduce((s, f) => s + f.usage.completionTokens, 0);
      return (tokens / (performance.now() - t0)) * 1000;
    },
  };
}

async function overhead(path: string, threads: number) {
  const direct = await directRunner(path, threads);
  const adapter = adapterRunner(path, threads, 1);
  await adapter.client.warm('m');
  for (let i = 0; i < 3; i++) {
    await direct.run(i);
    await adapter.run(i);
  }
  const d: number[] = [];
  const a: number[] = [];
  const outside: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, same seeds (both generate the same tokens), and the order alternates
    // so that neither side always runs right after the other.
    const x = i % 2 === 0 ? await direct.run(100 + i) : undefined;
    const y = await adapter.run(100 + i);
    const xx = x ?? (await direct.run(100 + i));
    // Same seed, same tokens (node-llama-cpp drops a last token that could begin a stop sequence: 255 at times).
    if (xx.tokens !== y.tokens || xx.tokens < TOKENS - 1) throw new Error(`expected ${TOKENS} tokens from both, got ${xx.tokens} / ${y.tokens}`);
    d.push((xx.tokens / xx.ms) * 1000);
    a.push((y.tokens / y.ms) * 1000);
    outside.push(y.outsideMs);
  }
  await direct.close();
  await adapter.client.close();
  return { direct: median(d), adapter: median(a), outsideMs: median(outside) };
}

async function concurrency(path: string, threads: number) {
  const adapter = adapterRunner(path, threads, 4);
  await adapter.client.warm('m');
  await adapter.parallel(4, 0);
  const out: Record<number, number> = {};
  for (const n of [1, 2, 4]) {
    const xs: number[] = [];
    for (let i = 0; i < Math.max(3, Math.floor(ROUNDS / 3)); i++) xs.push(await adapter.parallel(n, 1000 + 10 * i));
    out[n] = median(xs);
  }
  await adapter.client.close();
  return out;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-bench-'));
  try {
    console.log(`node ${process.version}, ${TOKENS} tokens per request, median of ${ROUNDS} interleaved runs\n`);
    console.log('| model | threads | node-llama-cpp direct (tok/s) | LlamaCppModelClient (tok/s) | difference | adapter time outside generation |');
    console.log('|---|---|---|---|---|---|');
    const paths: Record<string, string> = {};
    for (const [name, options] of Object.entries(MODELS)) {
      paths[name] = join(dir, `${options.width}.gguf`);
      await writeSyntheticGguf(paths[name]!, options);
      for (const threads of sweep ? [1, 2] : [1]) {
        const r = await overhead(paths[name]!, threads);
        const diff = ((r.direct - r.adapter) / r.direct) * 100;
        console.log(`| ${name} | ${threads} | ${fmt(r.direct)} | ${fmt(r.adapter)} | ${diff.toFixed(1)}% | ${r.outsideMs.toFixed(2)} ms/request |`);
      }
    }
    console.log('\n| model | 1 sequence (tok/s) | 2 concurrent | 4 concurrent |');
    console.log('|---|---|---|---|');
    for (const name of Object.keys(MODELS)) {
      const c = await concurrency(paths[name]!, 1);
      console.log(`| ${name} | ${fmt(c[1]!)} | ${fmt(c[2]!)} | ${fmt(c[4]!)} |`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
