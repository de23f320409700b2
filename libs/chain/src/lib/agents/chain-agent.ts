import { type AgentOptions, type AgentSpec, type ChatMessage, FlotillaError, type JsonSchema, type OutputSchema, type PromptContext, Errors, declareAgentSource } from '@flotilla/core';
import { type CompiledTemplate, checkTemplate, compileTemplate } from '../template/template-engine';

/** What a declared agent (inline in a chain file, or a .prompt file) compiles to. */
export interface ChainAgentSpec {
  /** Agent options: name, role, model, output schema, timeouts, retries, ... */
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

/** An agent whose prompts are templates: what chain files, `.prompt` files and `templateAgent` make. */
export interface TemplateAgentSpec<I = unknown, O = unknown> extends AgentSpec<I, O> {
  /** The declared input schema, checked on every call. */
  readonly input?: OutputSchema<unknown>;
}

/** The templates and schemas a template agent was made from (to write it back as a chain file). */
export interface TemplateSource {
  system?: string;
  prompt: string;
  input?: JsonSchema;
  output?: JsonSchema;
}

const sources = new WeakMap<object, TemplateSource>();

/**
 * Makes the agent spec of a declared agent: its prompt renders the templates over the call
 * input (checked against the declared input schema first); an unstructured reply is trimmed.
 */
export function chainAgent(spec: ChainAgentSpec): TemplateAgentSpec {
  const { system, prompt, inputDefaults, input: inputSchema } = spec;
  const structured = spec.options.output !== undefined;
  const name = spec.options.name;
  const agent: TemplateAgentSpec = {
    ...spec.options,
    ...(inputSchema ? { input: inputSchema } : {}),
    prompt: (input: unknown, ctx: PromptContext): ChatMessage[] => {
      const context = inputDefaults && isPlainObject(input) ? { ...inputDefaults, ...input } : (input ?? inputDefaults ?? {});
      if (inputSchema) {
        const checked = inputSchema.parse(context);
        if (!checked.ok) {
          throw new FlotillaError('badRequest', `agent "${name}" (${spec.source}): the call input does not match its input schema: ${checked.error}`, { details: { agent: name } });
        }
      }
      const data = { model: ctx.model, attempt: ctx.attempt, variant: ctx.variant };
      const messages: ChatMessage[] = [];
      const sys = system?.text(context, data).trim();
      if (sys) messages.push({ role: 'system', content: sys });
      messages.push(...prompt.messages(context, data));
      return messages;
    },
    ...(structured ? {} : { result: (parsed: never) => String(parsed).trim() }),
  };
  const source = { system: system?.source, prompt: prompt.source, input: inputSchema?.jsonSchema, output: spec.options.output?.jsonSchema };
  sources.set(agent, source);
  // Durable runs hash the templates, not the code that renders them.
  declareAgentSource(agent, { ...source, inputDefaults: inputDefaults ?? null });
  return agent;
}

/** What `templateAgent` takes: agent options, templates, and the schemas that type it. */
export interface TemplateAgentDefinition<I, O> extends Omit<AgentOptions, 'output'> {
  /** System prompt: a template over the call input. */
  system?: string;
  /** User prompt: a template over the call input; `{{role "..."}}` starts another message. */
  prompt: string;
  /** Schema of the call input: types the agent and is checked on every call. */
  input?: OutputSchema<I>;
  /** Structured output: the schema sent to the model and checked on the reply. */
  output?: OutputSchema<O>;
}

/**
 * An agent written as templates in code, exactly as a chain file declares one (so code and
 * chain files can share it). Its input type comes from `input` (or the type argument), its
 * output from `output`, else text.
 */
export function templateAgent<I, O>(definition: TemplateAgentDefinition<I, O> & { output: OutputSchema<O> }): TemplateAgentSpec<I, O>;
export function templateAgent<I = unknown>(definition: TemplateAgentDefinition<I, never> & { output?: undefined }): TemplateAgentSpec<I, string>;
export function templateAgent(definition: TemplateAgentDefinition<unknown, unknown>): TemplateAgentSpec {
  const { system, prompt, input, ...options } = definition;
  for (const [key, text] of [['system', system], ['prompt', prompt]] as const) {
    if (text === undefined) continue;
    const problem = checkTemplate(text);
    if (problem) throw Errors.config(`templateAgent "${definition.name}" ${key}${problem.line ? ` (template line ${problem.line})` : ''}`, 'a template without code', problem.message);
  }
  return chainAgent({
    options: options as AgentOptions,
    system: system === undefined ? undefined : compileTemplate(system),
    prompt: compileTemplate(prompt),
    input,
    source: `templateAgent "${definition.name}"`,
  });
}

/** The templates and schemas of a template agent; a `config` error for other agents. */
export function templateSourceOf(agent: AgentSpec<never, unknown>): TemplateSource {
  const source = sources.get(agent);
  if (!source) throw Errors.config(`templateSourceOf(agent "${agent.name}")`, 'an agent made by templateAgent or a chain file');
  return source;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
