/** Special tokens of the synthetic vocabulary, after the 256 byte tokens. */
export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;

/** Token ids of the synthetic vocabulary: byte b is token b; the specials follow. */
export const SYNTHETIC_TOKEN_IDS = {
  endOfText: 256,
  imStart: 257,
  imEnd: 258,
  vocabSize: 259,
} as const;

/** GGUF token types (llama.cpp's llama_token_type). */
export const TOKEN_TYPE = { normal: 1, control: 3, userDefined: 4 } as const;

/** The opening of a Hermes / Qwen 2.5 tool call as one user-defined token after the specials (as Qwen 2.5 has it), when asked for. */
export const TOOL_CALL_TOKENS = ['<tool_call>'] as const;

/**
 * GPT-2's byte-to-unicode table: printable bytes stand for themselves, the rest map to
 * code points from 256 up, so every byte token is a visible, unique string.
 */
export function gpt2ByteToUnicode(): string[] {
  const direct: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) direct.push(b);
  for (let b = 0xa1; b <= 0xac; b++) direct.push(b);
  for (let b = 0xae; b <= 0xff; b++) direct.push(b);
  const table = new Array<string>(256);
  for (const b of direct) table[b] = String.fromCodePoint(b);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCodePoint(256 + n++);
  }
  return table;
}

/** Printable ASCII (space to tilde): the bytes `printable` mode keeps. */
export function isPrintableByte(b: number): boolean {
  return b >= 0x20 && b <= 0x7e;
}
