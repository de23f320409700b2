import { z } from 'zod';

// The chain file format, declared once: the parser validates with it, and the published
// JSON Schema (libs/chain/schema/chain.schema.json, for editors) is generated from it and the
// registered step kinds (kinds/). Keep descriptions user-facing.

/**
 * Version 2 speaks the code API's vocabulary: `id` names a step (its key segment and the
 * name its output is read by), `reviewLoop` is the review loop. Version 1's `as`, `name`
 * and `loop` are answered with what replaced them.
 */
export const CHAIN_FILE_VERSION = 2;

/** Names a scope value can be read by in `${...}` references. */
export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Agent names: identifiers, dashes allowed. */
export const AGENT_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const Identifier = z.string().regex(IDENTIFIER, 'a name of letters, digits and _ (not starting with a digit)');
const AgentName = z.string().regex(AGENT_NAME, 'a name of letters, digits, _ and - (not starting with a digit or -)');
const PositiveMs = z.number().positive();

/** A JSON Schema, given as data; checked against the portable subset when compiled. */
export const JsonSchemaObject = z.record(z.string(), z.unknown()).describe('A JSON Schema inside the portable subset (docs/json-schema-subset.md)');

/** Any YAML value; strings may hold `${path}` references. */
export const ValueTemplate = z.unknown().describe('Any value. A string that is exactly "${path}" is replaced by the value at path (input, value, item, index, or a step\'s id); "${path}" inside a longer string is interpolated.');

export const Reference = z
  .string()
  .regex(/^\$\{[^}]+\}$/, 'a reference such as "${plan.steps}"')
  .describe('A reference: "${name.path}" where name is input, value, item, index or a step\'s id');

/** The forms a condition may take, for messages. */
export const CONDITION_FORMS = 'a reference such as "${verdict.approved}" (true when the value is truthy), true or false, { not: <condition> }, { all: [<condition>, ...] }, { any: [<condition>, ...] } or { equals: [<a>, <b>] }';

export type ConditionDecl = string | boolean | { not: ConditionDecl } | { all: ConditionDecl[] } | { any: ConditionDecl[] } | { equals: [unknown, unknown] };

export const Condition: z.ZodType<ConditionDecl> = z.lazy(() =>
  z.union([
    Reference,
    z.boolean(),
    z.strictObject({ not: Condition }),
    z.strictObject({ all: z.array(Condition).min(1) }),
    z.strictObject({ any: z.array(Condition).min(1) }),
    z.strictObject({ equals: z.tuple([ValueTemplate, ValueTemplate]) }),
  ]).describe('A condition: a reference (true when the value is truthy), true/false, or {not}, {all}, {any}, {equals: [a, b]}'),
);

export const SamplingOptionsSchema = z.strictObject({
  temperature: z.number().min(0).optional(),
  topP: z.number().min(0).max(1).optional(),
  topK: z.int().min(0).optional(),
  minP: z.number().min(0).max(1).optional(),
  seed: z.int().optional(),
  maxTokens: z.int().min(1).optional(),
  stop: z.array(z.string()).optional(),
  repeatPenalty: z.number().optional(),
  numCtx: z.int().min(1).optional(),
  keepAlive: z.union([z.number(), z.string()]).optional(),
  numThread: z.int().min(1).optional(),
  numGpu: z.int().min(0).optional(),
  numBatch: z.int().min(1).optional(),
});

const Timeouts = z.strictObject({
  firstTokenMs: PositiveMs.optional().describe('Until the first token (extended by a known model load). Default 60000'),
  stallMs: PositiveMs.optional().describe('Longest silence between tokens. Default 30000'),
  totalMs: PositiveMs.optional().describe('The whole call. Default 300000'),
});

const AgentCommon = {
  description: z.string().optional(),
  role: z.string().min(1).optional().describe('manager, worker, reviewer or your own; picks the role default model'),
  model: z.string().min(1).optional().describe('Model id; a key of modelAliases is replaced by its local model'),
  timeoutMs: PositiveMs.optional().describe('Shorthand for timeouts.totalMs'),
  timeouts: Timeouts.optional(),
  retries: z.int().min(0).max(10).optional().describe('Retries after the first attempt (transient errors and invalid output). Default 2'),
  concurrency: z.int().min(1).optional().describe('Calls of this agent in flight at once. Default unlimited'),
  priority: z.number().optional().describe('Dispatch priority, higher first. Default 0'),
  options: SamplingOptionsSchema.optional(),
  providerOptions: z
    .record(z.string(), z.record(z.string(), z.unknown()))
    .optional()
    .describe('Options for one provider\'s adapter, passed through as written: { openai: { grammar: ... } }, { ollama: { think: false } }'),
  tools: z.array(z.string().regex(/^[A-Za-z0-9_-]{1,64}$/)).optional().describe('Names of tools the agent may call (given to createFlotilla({ tools }) in code)'),
  toolChoice: z
    .union([z.enum(['auto', 'none', 'required']), z.strictObject({ name: z.string().min(1) })])
    .optional()
    .describe('For the tool loop\'s first model call: auto (default), none, required, or { name: tool }'),
  toolLoop: z
    .strictObject({
      maxRounds: z.int().min(1).optional().describe('Rounds of tool calls at most. Default 8'),
      maxConsecutiveErrors: z.int().min(1).optional().describe('Tool errors in a row that fail the step. Default 3'),
      concurrency: z.int().min(1).optional().describe('Tool calls of one reply run at once at most. Default 4'),
      deadlineMs: PositiveMs.optional().describe('The whole tool loop of one step. Default 600000'),
    })
    .optional(),
};

export const InlineAgentSchema = z.strictObject({
  ...AgentCommon,
  system: z.string().optional().describe('System prompt (Handlebars template over the call input)'),
  prompt: z.string().describe('User prompt (Handlebars template over the call input; {{role "..."}} starts another message)'),
  input: JsonSchemaObject.optional().describe('JSON Schema of the call input, checked against what connected steps produce'),
  output: JsonSchemaObject.optional().describe('JSON Schema of the reply: structured output, sent to the model and validated'),
});

export const PromptFileAgentSchema = z.strictObject({
  ...AgentCommon,
  file: z.string().min(1).describe('A Dotprompt .prompt file, relative to the chain file'),
});

export const AgentDeclSchema = z.union([PromptFileAgentSchema, InlineAgentSchema]);

/** What every step may carry besides its kind. */
export const stepBase = {
  id: Identifier.optional().describe('Names the step: its segment of the step key in traces, and the name its output is read by ("${id}"). Default: its place in the chain'),
};

/** Keys of version 1 steps, and what replaced them. */
export const RENAMED_STEP_KEYS: Readonly<Record<string, string>> = { as: 'id', name: 'id', loop: 'reviewLoop' };

/** A step as parsed: its kind's key (exactly one) with its value, and an optional id. */
export type StepDecl = { id?: string } & Record<string, unknown>;
export type StepOrListDecl = StepDecl | StepDecl[];

export const CallStepSchema = z.strictObject({
  ...stepBase,
  call: AgentName.describe('The agent to call (a key of agents)'),
  input: ValueTemplate.optional().describe('The call input; default: the previous step\'s output'),
});

export type ChainFile = {
  $schema?: string;
  version?: number;
  name: string;
  description?: string;
  input?: Record<string, unknown>;
  output?: unknown;
  modelAliases?: Record<string, string>;
  agents: Record<string, AgentDecl>;
  steps: StepOrListDecl;
};
export type InlineAgentDecl = z.output<typeof InlineAgentSchema>;
export type PromptFileAgentDecl = z.output<typeof PromptFileAgentSchema>;
export type AgentDecl = z.output<typeof AgentDeclSchema>;

/** The chain file's top-level schema, with `steps` validated by `steps`. */
export function chainFileSchema(steps: z.ZodType) {
  return z.strictObject({
    $schema: z.string().optional(),
    version: z.literal(CHAIN_FILE_VERSION).optional().describe(`Format version (${CHAIN_FILE_VERSION})`),
    name: z.string().min(1).describe('Chain name, in traces'),
    description: z.string().optional(),
    input: JsonSchemaObject.optional().describe('JSON Schema of the run input; checked before the run starts'),
    output: ValueTemplate.optional().describe("The run output, built from the scope; default: the last step's output"),
    modelAliases: z.record(z.string(), z.string().min(1)).optional().describe('Model ids (e.g. googleai/gemini-2.0-flash in .prompt files) -> models of the local fleet'),
    agents: z.record(AgentName, AgentDeclSchema).describe('Agents by name'),
    steps: steps.describe('The steps: one step or a list run in sequence'),
  });
}
