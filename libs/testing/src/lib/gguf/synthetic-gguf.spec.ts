import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as vm from 'node:vm';
import { gpt2ByteToUnicode, SYNTHETIC_TOKEN_IDS } from './byte-vocab';
import { readGgufHeader } from './gguf.reader';
import { CHATML_TEMPLATE, QWEN_TOOLS_TEMPLATE, syntheticGguf, writeSyntheticGguf } from './synthetic-gguf';

// node-llama-cpp is ESM with top-level await; jest runs CommonJS. Import it through Node's
// own loader in the main context (no --experimental-vm-modules needed).
type NodeLlamaCpp = typeof import('node-llama-cpp');
function importNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  const load = vm.runInThisContext('(s) => import(s)', {
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  } as vm.RunningScriptOptions) as (s: string) => Promise<NodeLlamaCpp>;
  return load(pathToFileURL(require.resolve('node-llama-cpp')).href);
}

describe('synthetic GGUF', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-gguf-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a GGUF v3 llama model whose header reads back', async () => {
    const path = join(dir, 'a.gguf');
    const info = await writeSyntheticGguf(path, { layers: 3, width: 64, heads: 4, kvHeads: 2, ff: 96, contextLength: 1024 });
    const buf = await readFile(path);
    expect(info.bytes).toBe(buf.length);
    const h = readGgufHeader(buf);
    expect(h.version).toBe(3);
    expect(h.metadata).toMatchObject({
      'general.architecture': 'llama',
      'general.alignment': 32,
      'llama.context_length': 1024,
      'llama.embedding_length': 64,
      'llama.block_count': 3,
      'llama.feed_forward_length': 96,
      'llama.attention.head_count': 4,
      'llama.attention.head_count_kv': 2,
      'llama.rope.dimension_count': 16,
      'llama.vocab_size': 259,
      'tokenizer.ggml.model': 'gpt2',
      'tokenizer.ggml.eos_token_id': SYNTHETIC_TOKEN_IDS.imEnd,
      'tokenizer.ggml.add_bos_token': false,
      'tokenizer.chat_template': CHATML_TEMPLATE,
    });
    const tokens = h.metadata['tokenizer.ggml.tokens'] as string[];
    expect(tokens).toHaveLength(259);
    expect(tokens.slice(256)).toEqual(['<|endoftext|>', '<|im_start|>', '<|im_end|>']);
    expect(h.metadata['tokenizer.ggml.token_type']).toEqual([...Array(256).fill(1), 3, 3, 3]);
    expect(h.tensors).toHaveLength(3 + 9 * 3);
    expect(h.tensors.find((t) => t.name === 'token_embd.weight')?.dims).toEqual([64, 259]);
    expect(h.tensors.find((t) => t.name === 'blk.2.attn_k.weight')?.dims).toEqual([64, 32]);
    expect(h.tensors.find((t) => t.name === 'blk.0.ffn_down.weight')?.dims).toEqual([96, 64]);
    expect(h.dataOffset % 32).toBe(0);
    for (const t of h.tensors) expect(t.offset % 32).toBe(0);
    const last = h.tensors[h.tensors.length - 1]!;
    const lastBytes = Math.ceil((last.dims.reduce((a, b) => a * b, 1) * 4) / 32) * 32;
    expect(h.dataOffset + last.offset + lastBytes).toBe(buf.length);
  });

  it('takes a chat template, and appends <tool_call> as one user-defined token when asked', async () => {
    const info = await writeSyntheticGguf(join(dir, 'tools.gguf'), { width: 32, heads: 2, chatTemplate: QWEN_TOOLS_TEMPLATE, toolCallTokens: true });
    const h = readGgufHeader(await readFile(info.path));
    expect(h.metadata['tokenizer.chat_template']).toBe(QWEN_TOOLS_TEMPLATE);
    expect(h.metadata['llama.vocab_size']).toBe(260);
    expect((h.metadata['tokenizer.ggml.tokens'] as string[]).slice(256)).toEqual(['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<tool_call>']);
    expect((h.metadata['tokenizer.ggml.token_type'] as number[]).slice(256)).toEqual([3, 3, 3, 4]);
    expect(h.tensors.find((t) => t.name === 'output.weight')?.dims).toEqual([32, 260]);
    expect(info).toMatchObject({ vocabSize: 260, tokens: { toolCall: 259 } });
  });

  it('holds residual dimension 0: constant in embeddings, never written by the blocks', () => {
    const buf = syntheticGguf({ width: 32, heads: 2, ff: 48 });
    const h = readGgufHeader(buf);
    const tensor = (name: string) => {
      const t = h.tensors.find((x) => x.name === name)!;
      const n = t.dims.reduce((a, b) => a * b, 1);
      const copy = Buffer.from(buf.subarray(h.dataOffset + t.offset, h.dataOffset + t.offset + n * 4));
      return { dims: t.dims, data: new Float32Array(copy.buffer, copy.byteOffset, n) };
    };
    const embd = tensor('token_embd.weight');
    for (let t = 0; t < 259; t++) expect(embd.data[t * 32]).toBeCloseTo(Math.sqrt(32), 5);
    for (const name of ['blk.0.attn_output.weight', 'blk.1.ffn_down.weight']) {
      const m = tensor(name);
      expect(Array.from(m.data.subarray(0, m.dims[0]!)).every((v) => v === 0)).toBe(true);
    }
  });

  it('is deterministic from the seed', () => {
    expect(syntheticGguf({ seed: 7, width: 32, heads: 2 }).equals(syntheticGguf({ seed: 7, width: 32, heads: 2 }))).toBe(true);
    expect(syntheticGguf({ seed: 7, width: 32, heads: 2 }).equals(syntheticGguf({ seed: 8, width: 32, heads: 2 }))).toBe(false);
  });

  it('rejects shapes llama.cpp cannot load', () => {
    expect(() => syntheticGguf({ width: 100, heads: 3 })).toThrow(RangeError);
    expect(() => syntheticGguf({ heads: 4, kvHeads: 3 })).toThrow(RangeError);
    expect(() => syntheticGguf({ layers: 0 })).toThrow(RangeError);
    expect(() => syntheticGguf({ biases: { ab: 1 } })).toThrow(RangeError);
  });

  it('maps bytes the way GPT-2 does: 256 distinct, printable ASCII as itself', () => {
    const table = gpt2ByteToUnicode();
    expect(new Set(table).size).toBe(256);
    expect(table[0x41]).toBe('A');
    expect(table[0x20]).toBe('\u0120');
  });

  describe('on node-llama-cpp', () => {
    let llcpp: NodeLlamaCpp;
    let llama: Awaited<ReturnType<NodeLlamaCpp['getLlama']>>;
    beforeAll(async () => {
      llcpp = await importNodeLlamaCpp();
      llama = await llcpp.getLlama({ gpu: false, build: 'never', skipDownload: true, maxThreads: 1, logLevel: llcpp.LlamaLogLevel.error });
    }, 30_000);
    afterAll(async () => {
      await llama?.dispose();
    });

    async function generate(options: Parameters<typeof writeSyntheticGguf>[1], maxTokens: number, runs: number) {
      const path = join(dir, `gen-${JSON.stringify(options).replace(/\W/g, '')}.gguf`);
      await writeSyntheticGguf(path, options);
      const model = await llama.loadModel({ modelPath: path });
      const context = await model.createContext({ contextSize: 1024, threads: 1 });
      const session = new llcpp.LlamaChatSession({ contextSequence: context.getSequence() });
      const out: { text: string; stopped: boolean }[] = [];
      try {
        expect(session.chatWrapper).toBeInstanceOf(llcpp.ChatMLChatWrapper);
        expect(model.trainContextSize).toBe(options?.contextLength ?? 4096);
        for (let i = 0; i < runs; i++) {
          session.resetChatHistory();
          const r = await session.promptWithMeta('Say something.', { maxTokens, temperature: 0.8, seed: i });
          out.push({ text: r.responseText, stopped: r.stopReason === 'eogToken' });
        }
      } finally {
        await context.dispose();
        await model.dispose();
      }
      return out;
    }

    it('loads as a ChatML model and generates printable ASCII that stops on its own', async () => {
      const out = await generate({ seed: 3, stopBias: 4 }, 200, 5);
      for (const o of out) expect(o.text).toMatch(/^[\x20-\x7e]*$/);
      expect(out.every((o) => o.stopped)).toBe(true);
    });

    it('a per-character bias makes that character common', async () => {
      const out = await generate({ seed: 5, stopBias: -30, biases: { z: 6 } }, 100, 1);
      expect(out[0]!.text.split('z').length - 1).toBeGreaterThan(40);
    });

    it('a negative stop bias runs to max tokens', async () => {
      const out = await generate({ seed: 4, stopBias: -30, contextLength: 2048 }, 40, 2);
      for (const o of out) {
        expect(o.stopped).toBe(false);
        // node-llama-cpp drops a held-back last token that could begin a stop sequence.
        expect(Buffer.byteLength(o.text)).toBeGreaterThanOrEqual(39);
        expect(Buffer.byteLength(o.text)).toBeLessThanOrEqual(40);
      }
    });
  });
});
