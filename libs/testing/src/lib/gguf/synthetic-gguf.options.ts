/** Knobs of a synthetic llama-architecture model. All optional; defaults give a ~2 MB file. */
export interface SyntheticGgufOptions {
  /** PRNG seed: the same options give a byte-identical file. @default 1 */
  seed?: number;
  /** Transformer blocks. @default 2 */
  layers?: number;
  /** Embedding width (residual dimension). @default 128 */
  width?: number;
  /** Attention heads; must divide `width`. @default 4 */
  heads?: number;
  /** Key/value heads (grouped-query attention); must divide `heads`. @default heads */
  kvHeads?: number;
  /** Feed-forward width. @default 3 * width */
  ff?: number;
  /** Trained context length written to the metadata (what a client reports). @default 4096 */
  contextLength?: number;
  /**
   * Logit bias of the end-of-turn token `<|im_end|>` (the model's EOS), in logit units
   * against printable tokens at 0 with random spread about 1: higher stops sooner; a
   * large negative value means it runs to max tokens. @default 2
   */
  stopBias?: number;
  /** Keep output printable ASCII (space to tilde) by a large negative bias on other bytes. @default true */
  printable?: boolean;
  /** `general.name`. @default "synthetic-llama" */
  name?: string;
  /**
   * Extra logit bias per single-byte character, e.g. `{ '"': 3 }` to end JSON strings
   * sooner under a grammar. Added to the printable rule's bias. An extra token (`'<tool_call>'`
   * with `toolCallTokens`) named here gets this bias instead of "never". @default {}
   */
  biases?: Readonly<Record<string, number>>;
  /** `tokenizer.chat_template` (Jinja), e.g. `QWEN_TOOLS_TEMPLATE` for native tool calls. @default CHATML_TEMPLATE */
  chatTemplate?: string;
  /**
   * Append `<tool_call>`, the opening of a Hermes / Qwen 2.5 call, as one user-defined token
   * (id 259, as Qwen 2.5 has it). Its bias is "never" (unless `biases` names it), so a model writes it
   * only when a request raises it (llama-server's `logit_bias`): random weights then open the call at
   * once under a tool-call grammar, instead of text that (as the grammar allows) goes on until the length cap.
   * @default false
   */
  toolCallTokens?: boolean;
}

export const SYNTHETIC_GGUF_DEFAULTS = {
  seed: 1,
  layers: 2,
  width: 128,
  heads: 4,
  contextLength: 4096,
  stopBias: 2,
  printable: true,
  name: 'synthetic-llama',
  biases: {},
} as const;

/** What `writeSyntheticGguf` wrote. */
export interface SyntheticGgufInfo {
  path: string;
  bytes: number;
  vocabSize: number;
  /** Token ids of the specials (byte b is token b). */
  tokens: { endOfText: number; imStart: number; imEnd: number; toolCall?: number };
  contextLength: number;
}
