import { Agent, type AgentClass, type AgentOptions, type ChatMessage, FlotillaError, type FlotillaAgent, type OutputSchema, type PromptContext } from '@flotilla/core';
import type { CompiledTemplate } from '../template/template-engine';

/** What a declared agent (inline in a chain file, or a .prompt file) compiles to. */
export interface ChainAgentSpec {
  /** `@Agent` options: name, role, model, output schema, timeouts, retries, ... */
  options: AgentOptions;
  /** System prompt template, rendered over the call input. */
  system?: CompiledTemplate;
  /** User prompt template; `{{role "..."}}` starts another message. */
  prompt: CompiledTemplate;
  /** The declared input schema: checked statically where types are known, and on every call. */
  input?: OutputSchema<unknown>;
  /** Values under the call input's own (Dotprompt `input.default`). */
  inputDefaults?: Record<string, unknown>;
  /** Where the agent was declared, for messages. */
  source: string;
}

/**
 * Makes a class for one declared agent. `@Agent` metadata is per class, so every declared
 * agent gets its own class (bound under `TOKENS.Agent` like any code agent); the class
 * only renders templates: the engine does the rest, exactly as for code agents.
 */
export function chainAgentClass(spec: ChainAgentSpec): AgentClass {
  const { system, prompt, inputDefaults, input: inputSchema } = spec;
  const structured = spec.options.output !== undefined;
  class ChainAgent implements FlotillaAgent<unknown, unknown> {
    prompt(input: unknown, ctx: PromptContext): ChatMessage[] {
      const context = inputDefaults && isPlainObject(input) ? { ...inputDefaults, ...input } : (input ?? inputDefaults ?? {});
      if (inputSchema) {
        const checked = inputSchema.parse(context);
        if (!checked.ok) {
          throw new FlotillaError('badRequest', `agent "${spec.options.name}" (${spec.source}): the call input does not match its input schema: ${checked.error}`, {
            details: { agent: spec.options.name },
          });
        }
      }
      const data = { model: ctx.model, attempt: ctx.attempt, variant: ctx.variant };
      const messages: ChatMessage[] = [];
      const sys = system?.text(context, data).trim();
      if (sys) messages.push({ role: 'system', content: sys });
      messages.push(...prompt.messages(context, data));
      return messages;
    }

    result(parsed: unknown): unknown {
      return structured ? parsed : String(parsed).trim();
    }
  }
  Object.defineProperty(ChainAgent, 'name', { value: `ChainAgent(${spec.options.name})` });
  Agent(spec.options)(ChainAgent);
  return ChainAgent;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
