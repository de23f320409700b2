export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

export interface ToolCall {
  /** Call id where the server gives one (OpenAI); Ollama sends none. */
  id?: string;
  name: string;
  /** Always an object: Ollama sends objects, OpenAI strings that adapters parse. */
  arguments: Record<string, unknown>;
  /** The model wrote this call in its reply's text and the engine recovered it (see `recoverToolCalls`). */
  recovered?: true;
}

export interface ChatMessage {
  role: ChatRole;
  content: string;
  toolCalls?: ToolCall[];
  /** For role `tool`: which tool answered. */
  toolName?: string;
  /** For role `tool`: the id of the call it answers (`ToolCall.id`), where the server gave one. */
  toolCallId?: string;
  /** Base64-encoded images for multimodal models. */
  images?: string[];
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments object. */
  parameters: Record<string, unknown>;
}
