import type { ChatMessage } from '@flotilla/core';

/** Characters per token for English-ish text on llama-family tokenizers: a planning figure, not a count. */
export const CHARS_PER_TOKEN = 4;
/** Role markers and separators a chat template adds per message. */
export const TOKENS_PER_MESSAGE = 4;

/**
 * Estimates prompt tokens as chars / 4 plus a few per message (template overhead). Good
 * enough to check a prompt against a context window with some margin; Ollama's real count
 * arrives as `usage.promptTokens` after the call.
 */
export function estimatePromptTokens(messages: readonly Pick<ChatMessage, 'content'>[]): number {
  return messages.reduce((n, m) => n + TOKENS_PER_MESSAGE + Math.ceil(m.content.length / CHARS_PER_TOKEN), 0);
}
