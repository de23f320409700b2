import type { ChatRequest } from '@flotilla/core';

/** Rough token count: 4 characters a token, the usual rule of thumb for English and code. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * Estimated prompt tokens of a request: message texts, tool-call arguments and tool
 * definitions (chat templates render them into the prompt), at 4 characters a token. The
 * chat template's own tokens and images are not counted; the output schema is not either
 * (servers enforce it with a grammar, not in the prompt). Good for budgeting, not for limits
 * within a few percent.
 */
export function estimatePromptTokens(request: ChatRequest): number {
  let chars = 0;
  for (const m of request.messages) {
    chars += m.content.length;
    for (const call of m.toolCalls ?? []) chars += call.name.length + JSON.stringify(call.arguments).length;
  }
  for (const tool of request.tools ?? []) chars += JSON.stringify(tool).length;
  return Math.ceil(chars / 4);
}
