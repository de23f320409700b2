import { writeFile } from 'node:fs/promises';
import { SPECIAL_TOKENS, SYNTHETIC_TOKEN_IDS, TOKEN_TYPE, TOOL_CALL_TOKENS, gpt2ByteToUnicode, isPrintableByte } from './byte-vocab';
import type { GgufValue } from './gguf.format';
import { encodeGguf, type GgufTensor } from './gguf.writer';
import { SeededRandom } from './seeded-random';
import { SYNTHETIC_GGUF_DEFAULTS, type SyntheticGgufInfo, type SyntheticGgufOptions } from './synthetic-gguf.options';

/** ChatML, the template node-llama-cpp recognises as its ChatML wrapper. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/**
 * ChatML with native tools in the Hermes 2 Pro / Qwen 2.5 style: the tools listed in the system
 * turn inside `<tools>`, each call as `<tool_call>{"name": ..., "arguments": ...}</tool_call>`, tool
 * results as `<tool_response>` in a user turn. llama.cpp's server with `--jinja` recognises it as
 * tool-capable and parses the calls (and forces one with `tool_choice: "required"`). Unlike Qwen's,
 * no newlines inside the call tags: the tag alone is then llama.cpp's call trigger, which with
 * `toolCallTokens` is one token that a request can raise.
 */
export const QWEN_TOOLS_TEMPLATE = [
  '{%- if tools %}',
  "{{- '<|im_start|>system\n' }}",
  "{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] }}{%- else %}{{- 'You are a helpful assistant.' }}{%- endif %}",
  '{{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}',
  '{%- for tool in tools %}{{- "\n" }}{{- tool | tojson }}{%- endfor %}',
  '{{- \'\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{"name": <function-name>, "arguments": <args-json-object>}\\n</tool_call><|im_end|>\\n\' }}',
  '{%- else %}',
  "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}{%- endif %}",
  '{%- endif %}',
  '{%- for message in messages %}',
  '{%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}',
  "{{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}",
  '{%- elif message.role == "assistant" %}',
  "{{- '<|im_start|>' + message.role }}",
  "{%- if message.content %}{{- '\n' + message.content }}{%- endif %}",
  '{%- for tool_call in message.tool_calls %}',
  '{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}',
  '{{- \'\\n<tool_call>{"name": "\' }}{{- tool_call.name }}{{- \'", "arguments": \' }}{{- tool_call.arguments | tojson }}{{- \'}</tool_call>\' }}',
  '{%- endfor %}',
  "{{- '<|im_end|>\n' }}",
  '{%- elif message.role == "tool" %}',
  '{%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}{{- \'<|im_start|>user\' }}{%- endif %}',
  "{{- '\n<tool_response>\n' }}{{- message.content }}{{- '\n</tool_response>' }}",
  '{%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}{{- \'<|im_end|>\n\' }}{%- endif %}',
  '{%- endif %}',
  '{%- endfor %}',
  "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}",
].join('\n');

/**
 * `QWEN_TOOLS_TEMPLATE` with each call written `<tool_call>name({...})</tool_call>`: the call's
 * opening is the `<tool_call>` token alone, with nothing fixed between it and the tool's name.
 * node-llama-cpp reads the call syntax off the template, so a random-weight model that writes
 * that token (`toolCallTokens`, raised by `biases: { '<tool_call>': n }`) has started a call,
 * which the engine finishes under a grammar of the offered tools: what a trained model does
 * when it decides to call a tool, on demand.
 */
export const ONE_TOKEN_CALL_TEMPLATE = QWEN_TOOLS_TEMPLATE.replace(
  `{{- '\\n<tool_call>{"name": "' }}{{- tool_call.name }}{{- '", "arguments": ' }}{{- tool_call.arguments | tojson }}{{- '}</tool_call>' }}`,
  `{{- '\\n<tool_call>' }}{{- tool_call.name }}{{- '(' }}{{- tool_call.arguments | tojson }}{{- ')</tool_call>' }}`,
);

/** Bias that no sampler setting brings back: the token is never produced. */
const NEVER = -30;
/** Standard deviation of the random part of each logit. */
const LOGIT_SPREAD = 1;

type Resolved = Required<Omit<SyntheticGgufOptions, 'kvHeads' | 'ff' | 'biases' | 'chatTemplate' | 'toolCallTokens'>> & {
  kvHeads: number;
  ff: number;
  biases: Readonly<Record<string, number>>;
  chatTemplate: string;
  /** Tokens after the bytes and the ChatML specials. */
  extraTokens: readonly string[];
  vocab: number;
};

function resolve(options: SyntheticGgufOptions): Resolved {
  const o = { ...SYNTHETIC_GGUF_DEFAULTS, ...options };
  const r: Resolved = { ...o, kvHeads: options.kvHeads ?? o.heads, ff: options.ff ?? 3 * o.width, chatTemplate: options.chatTemplate ?? CHATML_TEMPLATE, extraTokens: [], vocab: 0 };
  r.extraTokens = options.toolCallTokens ? TOOL_CALL_TOKENS : [];
  r.vocab = SYNTHETIC_TOKEN_IDS.vocabSize + r.extraTokens.length;
  const positive = ['layers', 'width', 'heads', 'kvHeads', 'ff', 'contextLength'] as const;
  for (const k of positive) {
    if (!Number.isInteger(r[k]) || r[k] <= 0) throw new RangeError(`synthetic GGUF: ${k} must be a positive integer, got ${r[k]}`);
  }
  if (r.width % r.heads !== 0) throw new RangeError(`synthetic GGUF: heads (${r.heads}) must divide width (${r.width})`);
  if (r.heads % r.kvHeads !== 0) throw new RangeError(`synthetic GGUF: kvHeads (${r.kvHeads}) must divide heads (${r.heads})`);
  if ((r.width / r.heads) % 2 !== 0) throw new RangeError('synthetic GGUF: the head dimension must be even (RoPE)');
  for (const [ch, bias] of Object.entries(r.biases)) {
    const known = (ch.length === 1 && ch.charCodeAt(0) <= 0xff) || r.extraTokens.includes(ch);
    if (!known || !Number.isFinite(bias)) throw new RangeError(`synthetic GGUF: biases keys are single bytes (or an extra token the model has) with finite values, got ${JSON.stringify(ch)}: ${bias}`);
  }
  return r;
}

function metadataOf(r: Resolved): Map<string, GgufValue> {
  const bytes = gpt2ByteToUnicode();
  const tokens = [...bytes, ...SPECIAL_TOKENS, ...r.extraTokens];
  const types = [...bytes.map(() => TOKEN_TYPE.normal), ...SPECIAL_TOKENS.map(() => TOKEN_TYPE.control), ...r.extraTokens.map(() => TOKEN_TYPE.userDefined)];
  const u32 = (value: number): GgufValue => ({ type: 'uint32', value });
  const f32 = (value: number): GgufValue => ({ type: 'float32', value });
  const str = (value: string): GgufValue => ({ type: 'string', value });
  return new Map<string, GgufValue>([
    ['general.architecture', str('llama')],
    ['general.name', str(r.name)],
    ['general.file_type', u32(0)],
    ['llama.context_length', u32(r.contextLength)],
    ['llama.embedding_length', u32(r.width)],
    ['llama.block_count', u32(r.layers)],
    ['llama.feed_forward_length', u32(r.ff)],
    ['llama.attention.head_count', u32(r.heads)],
    ['llama.attention.head_count_kv', u32(r.kvHeads)],
    ['llama.rope.dimension_count', u32(r.width / r.heads)],
    ['llama.rope.freq_base', f32(10000)],
    ['llama.attention.layer_norm_rms_epsilon', f32(1e-5)],
    ['llama.vocab_size', u32(tokens.length)],
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str('default')],
    ['tokenizer.ggml.tokens', { type: 'array', itemType: 'string', items: tokens }],
    ['tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', items: types }],
    ['tokenizer.ggml.merges', { type: 'array', itemType: 'string', items: [] }],
    ['tokenizer.ggml.bos_token_id', u32(SYNTHETIC_TOKEN_IDS.endOfText)],
    ['tokenizer.ggml.eos_token_id', u32(SYNTHETIC_TOKEN_IDS.imEnd)],
    ['tokenizer.ggml.padding_token_id', u32(SYNTHETIC_TOKEN_IDS.endOfText)],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: false }],
    ['tokenizer.chat_template', str(r.chatTemplate)],
  ]);
}

/** The bias each token gets through column 0 of `output.weight`. */
function tokenBias(r: Resolved, token: number): number {
  if (token < 256) return (r.printable && !isPrintableByte(token) ? NEVER : 0) + (r.biases[String.fromCharCode(token)] ?? 0);
  if (token === SYNTHETIC_TOKEN_IDS.imEnd) return r.stopBias;
  // An extra token (`<tool_call>`) is never written unless `biases` names it.
  const extra = r.extraTokens[token - SYNTHETIC_TOKEN_IDS.vocabSize];
  return extra !== undefined && r.biases[extra] !== undefined ? r.biases[extra] : NEVER;
}

/**
 * Random weights, with one twist that gives control over the output: residual dimension 0
 * holds a constant (set in every embedding row; the rows of `attn_output` and `ffn_down`
 * that would write it are zero), so after the final RMSNorm it is nearly constant and
 * column 0 of `output.weight` acts as a per-token logit bias.
 */
function tensorsOf(r: Resolved): GgufTensor[] {
  const rand = new SeededRandom(r.seed);
  const d = r.width;
  const vocab = r.vocab;
  const kvDim = (d / r.heads) * r.kvHeads;
  const sqrt3 = Math.sqrt(3);
  const filled = (n: number, std: number) => Float32Array.from({ length: n }, () => rand.symmetric(std * sqrt3));
  const ones = (n: number) => new Float32Array(n).fill(1);
  const zeroRow0 = (m: Float32Array, rowLength: number) => (m.fill(0, 0, rowLength), m);

  // Dimension 0 carries as much energy as all the others together (about 1.5x after the blocks).
  const c = Math.sqrt(d);
  const embd = filled(vocab * d, 1);
  for (let t = 0; t < vocab; t++) embd[t * d] = c;
  const rest = (d - 1) * 1.5;
  const x0 = c * Math.sqrt(d / (c * c + rest));
  const spread = LOGIT_SPREAD / Math.sqrt(Math.max(1, d - x0 * x0));
  const output = filled(vocab * d, spread);
  for (let t = 0; t < vocab; t++) output[t * d] = tokenBias(r, t) / x0;

  const tensors: GgufTensor[] = [
    { name: 'token_embd.weight', dims: [d, vocab], data: embd },
    { name: 'output_norm.weight', dims: [d], data: ones(d) },
    { name: 'output.weight', dims: [d, vocab], data: output },
  ];
  const inStd = 1 / Math.sqrt(d);
  for (let l = 0; l < r.layers; l++) {
    const p = `blk.${l}.`;
    tensors.push(
      { name: `${p}attn_norm.weight`, dims: [d], data: ones(d) },
      { name: `${p}attn_q.weight`, dims: [d, d], data: filled(d * d, inStd) },
      { name: `${p}attn_k.weight`, dims: [d, kvDim], data: filled(d * kvDim, inStd) },
      { name: `${p}attn_v.weight`, dims: [d, kvDim], data: filled(d * kvDim, inStd) },
      { name: `${p}attn_output.weight`, dims: [d, d], data: zeroRow0(filled(d * d, inStd / 2), d) },
      { name: `${p}ffn_norm.weight`, dims: [d], data: ones(d) },
      { name: `${p}ffn_gate.weight`, dims: [d, r.ff], data: filled(d * r.ff, inStd) },
      { name: `${p}ffn_up.weight`, dims: [d, r.ff], data: filled(d * r.ff, inStd) },
      { name: `${p}ffn_down.weight`, dims: [r.ff, d], data: zeroRow0(filled(r.ff * d, 0.5 / Math.sqrt(r.ff)), r.ff) },
    );
  }
  return tensors;
}

/** A synthetic GGUF v3 llama model with random weights, as bytes. Deterministic from the seed. */
export function syntheticGguf(options: SyntheticGgufOptions = {}): Buffer {
  const r = resolve(options);
  return encodeGguf(metadataOf(r), tensorsOf(r));
}

/**
 * Writes a synthetic GGUF v3 llama model (random weights, byte-level GPT-2 tokenizer with
 * ChatML specials, ChatML chat template) to `path`. Deterministic from `options.seed`.
 */
export async function writeSyntheticGguf(path: string, options: SyntheticGgufOptions = {}): Promise<SyntheticGgufInfo> {
  const r = resolve(options);
  const bytes = encodeGguf(metadataOf(r), tensorsOf(r));
  await writeFile(path, bytes);
  const { endOfText, imStart, imEnd } = SYNTHETIC_TOKEN_IDS;
  const specials = { endOfText, imStart, imEnd };
  const tokens = r.extraTokens.length ? { ...specials, toolCall: SYNTHETIC_TOKEN_IDS.vocabSize } : specials;
  return { path, bytes: bytes.length, vocabSize: r.vocab, tokens, contextLength: r.contextLength };
}
