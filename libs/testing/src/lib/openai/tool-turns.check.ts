import type { ChatCompletionBody } from './chat-reply.planner';

/**
 * The checks OpenAI's API makes on tool turns, with its messages (llama.cpp's server and vLLM
 * apply the same rules through their chat templates): every `tool` message answers a call of
 * the assistant message before it by `tool_call_id`, every such call is answered before the
 * next non-tool message, and a named `tool_choice` names an offered tool. Returns the 400 message, or undefined.
 */
export function toolTurnsProblem(body: ChatCompletionBody): string | undefined {
  const messages = body.messages ?? [];
  let open: Set<string> | undefined;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]! as { role?: string; tool_call_id?: unknown; tool_calls?: { id?: unknown }[] };
    if (m.role === 'tool') {
      if (!open) return `Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.`;
      if (typeof m.tool_call_id !== 'string' || !open.delete(m.tool_call_id)) {
        return `Invalid parameter: 'tool_call_id' of '${String(m.tool_call_id)}' not found in 'tool_calls' of previous message.`;
      }
      continue;
    }
    if (open && open.size > 0) {
      return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...open].join(', ')}`;
    }
    open = m.role === 'assistant' && m.tool_calls?.length ? new Set(m.tool_calls.map((c) => String(c.id))) : undefined;
  }
  const named = (body.tool_choice as { function?: { name?: unknown } } | undefined)?.function?.name;
  if (typeof named === 'string' && !(body.tools ?? []).some((t) => t.function?.name === named)) {
    return `Invalid value for 'tool_choice': tool '${named}' not found in 'tools'.`;
  }
  return undefined;
}
