import { type ChatMessage, FlotillaError } from '@flotilla/core';
import type { ChatHistoryItem } from 'node-llama-cpp';
import type { LoadedModel } from './model-host';

/**
 * Flotilla messages as node-llama-cpp chat history, ending with the model turn to generate
 * (an open assistant message at the end is continued). Tool results become user turns:
 * the model's own chat template renders every turn.
 */
export function toChatHistory(messages: readonly ChatMessage[]): ChatHistoryItem[] {
  if (messages.length === 0) throw new FlotillaError('badRequest', 'a chat request needs at least one message');
  const items: ChatHistoryItem[] = [];
  for (const m of messages) {
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

/** Tokens of `history` rendered with the model's chat template, as the engine will evaluate them. */
export function promptTokenCount(loaded: LoadedModel, history: ChatHistoryItem[]): number {
  return loaded.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(loaded.model.tokenizer).length;
}
