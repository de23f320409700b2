/**
 * Tool calls written in the reply's text, the way a model does when the server's template
 * parser does not recognise them (the server then returns them as content, not as tool calls):
 * the Hermes / Qwen 2.5 format of Qwen2.5-Instruct's chat template,
 * `<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call>`, one
 * block per call.
 */
export function toolCallsAsText(calls: readonly { name: string; arguments: Record<string, unknown> }[]): string {
  return calls.map((c) => `<tool_call>\n${JSON.stringify({ name: c.name, arguments: c.arguments })}\n</tool_call>`).join('\n');
}
