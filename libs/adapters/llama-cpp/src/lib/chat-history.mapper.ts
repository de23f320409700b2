import { type ChatMessage, FlotillaError } from '@flotilla/core';
import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelFunctions } from 'node-llama-cpp';
import type { LoadedModel } from './model-host';

/**
 * Flotilla messages as node-llama-cpp chat history, ending with the model turn to generate
 * (an open assistant message at the end is continued); the model's own chat template renders
 * every turn. An assistant turn's tool calls, with the tool messages that answer them (in call
 * order, by id where the calls have ids), become function calls with their results, which the
 * template writes in the model's own tool syntax; a tool message that answers no call becomes
 * a user turn.
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  if (messages.length === 0) throw new FlotillaError('badRequest', 'a chat request needs at least one message');
  const items: ChatHistoryItem[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.role === 'assistant' && m.toolCalls?.length) {
      const answers: ChatMessage[] = [];
      while (messages[i + 1]?.role === 'tool' && answers.length < m.toolCalls.length) answers.push(messages[++i]!);
      const calls: ChatModelFunctionCall[] = m.toolCalls.map((call, n) => {
        const answer = (call.id === undefined ? undefined : answers.find((a) => a.toolCallId === call.id)) ?? answers[n];
        return { type: 'functionCall', name: call.name, params: call.arguments, result: answer === undefined ? '' : answer.content };
      });
      items.push({ type: 'model', response: [...(m.content ? [m.content] : []), ...calls] });
      continue;
    }
    if (m.images?.length) throw new FlotillaError('badRequest', 'the embedded engine serves text-only models: images are not supported', { details: { role: m.role } });
    switch (m.role) {
      case 'system':
        items.push({ type: 'system', text: m.content });
        break;
      case 'user':
        items.push({ type: 'user', text: m.content });
        break;
      case 'assistant':
        items.push({ type: 'model', response: [m.content] });
        break;
      case 'tool':
        items.push({ type: 'user', text: `Result of tool ${m.toolName ?? 'call'}: ${m.content}` });
        break;
    }
  }
  if (items[items.length - 1]!.type !== 'model') items.push({ type: 'model', response: [] });
  return items;
}

/** Tokens of `history` rendered with the model's chat template (and the functions it is offered), as the engine will evaluate them. */
export function promptTokenCount(loaded: LoadedModel, history: ChatHistoryItem[], functions?: ChatModelFunctions): number {
  return loaded.chatWrapper.generateContextState({ chatHistory: history, ...(functions ? { availableFunctions: functions } : {}) }).contextText.tokenize(loaded.model.tokenizer).length;
}
