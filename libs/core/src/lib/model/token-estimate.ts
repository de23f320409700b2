import type { ChatRequest } from './chat-request';

/** Characters per token for English text and code on llama-family tokenizers: a planning figure. */
export const CHARS_PER_TOKEN = 4;
/** Role markers and separators a chat template adds per message. */
export const TOKENS_PER_MESSAGE = 4;

/**
 * Estimated prompt tokens of a request: message texts, tool-call arguments and tool
 * definitions (chat templates render them into the prompt) at 4 characters a token, plus
 * a few per message for the template. The output schema is not counted (servers enforce
 * it with a grammar, not in the prompt). Good for checking a prompt against a context
 * window with a margin; clients with a tokenizer count exactly instead.
 */
export function estimatePromptTokens(request: Pick<ChatRequest, 'messages' | 'tools'>): number {
  let chars = 0;
  for (const m of request.messages) {
    chars += m.content.length;
    if (m.toolCalls) for (const call of m.toolCalls) chars += call.name.length + JSON.stringify(call.arguments).length;
  }
  if (request.tools) for (const tool of request.tools) chars += JSON.stringify(tool).length;
  return Math.ceil(chars / CHARS_PER_TOKEN) + TOKENS_PER_MESSAGE * request.messages.length;
}
