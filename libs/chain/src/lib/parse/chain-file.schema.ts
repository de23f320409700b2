import { z } from 'zod';

// The chain file format, declared once: the parser validates with it, and the published
// JSON Schema (libs/chain/schema/chain.schema.json, for editors) is generated from it by
// `npm run flotilla -- schema` / the chain-schema spec. Keep descriptions user-facing.

export const CHAIN_FILE_VERSION = 1;

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
export const ValueTemplate = z.unknown().describe('Any value. A string that is exactly "${path}" is replaced by the value at path (input, value, item, index, or a step\'s "as" name); "${path}" inside a longer string is interpolated.');

export const Reference = z
  .string()
  .regex(/^\$\{[^}]+\}$/, 'a reference such as "${plan.steps}"')
  .describe('A reference: "${name.path}" where name is input, value, item, index or a step\'s "as" name');

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

const stepBase = {
  name: z.string().min(1).optional().describe('Name in traces; defaults to the agent name or the step kind'),
  as: Identifier.optional().describe('Stores the output in the scope under this name, for "${name}" references'),
};

export type StepDecl =
  | ({ call: string; input?: unknown } & StepBaseDecl)
  | ({ sequence: StepOrListDecl[] } & StepBaseDecl)
  | ({ fanOut: { over: string; item?: unknown; step: StepOrListDecl; concurrency?: number } } & StepBaseDecl)
  | ({ loop: { work: StepOrListDecl; review: StepOrListDecl; revise: StepOrListDecl; until: ConditionDecl; maxRounds?: number } } & StepBaseDecl)
  | ({ branch: { if: ConditionDecl; then: StepOrListDecl; else?: StepOrListDecl } } & StepBaseDecl)
  | ({ template: string } & StepBaseDecl)
  | ({ value: unknown } & StepBaseDecl);
export interface StepBaseDecl {
  name?: string;
  as?: string;
}
export type StepOrListDecl = StepDecl | StepDecl[];

export const CallStepSchema = z.strictObject({
  ...stepBase,
  call: AgentName.describe('The agent to call (a key of agents)'),
  input: ValueTemplate.optional().describe('The call input; default: the previous step\'s output'),
});

/**
 * The schema of each step kind, with `child` for nested steps: the full recursive schema
 * for the published JSON Schema, `z.unknown()` for the parser, which walks children itself
 * so that each error names the step kind it belongs to.
 */
export function stepKindSchemas(child: z.ZodType) {
  return {
    call: CallStepSchema,
    sequence: z.strictObject({ ...stepBase, sequence: z.array(child).min(1).describe('Steps run in order, each getting the previous output') }),
    fanOut: z.strictObject({
      ...stepBase,
      fanOut: z.strictObject({
        over: Reference.describe('The list to fan out over'),
        item: ValueTemplate.optional().describe('Shapes each item (${item}, ${index} and the scope are available); default: the item itself'),
        step: child,
        concurrency: z.int().min(1).max(256).optional().describe('Branches in flight at once. Default 4'),
      }),
    }),
    loop: z.strictObject({
      ...stepBase,
      loop: z.strictObject({
        work: child.describe('Produces the first artifact from the loop input'),
        review: child.describe('Gets {input, artifact, round} as value; returns a verdict'),
        revise: child.describe('Gets {input, artifact, verdict, round} as value; returns the next artifact'),
        until: Condition.describe('Evaluated on ${verdict}: the loop ends when true'),
        maxRounds: z.int().min(1).max(50).optional().describe('Reviews at most. Default 3'),
      }),
    }),
    branch: z.strictObject({
      ...stepBase,
      branch: z.strictObject({ if: Condition, then: child, else: child.optional() }),
    }),
    template: z.strictObject({ ...stepBase, template: z.string().describe('Renders text: a Handlebars template over the scope and ${value}') }),
    value: z.strictObject({ ...stepBase, value: ValueTemplate }),
  } as const;
}

export const StepSchema: z.ZodType<StepDecl> = z.lazy(() => z.union(Object.values(stepKindSchemas(StepOrList)) as unknown as [z.ZodType<StepDecl>, ...z.ZodType<StepDecl>[]]));

export const StepOrList: z.ZodType<StepOrListDecl> = z.lazy(() => z.union([StepSchema, z.array(StepSchema).min(1)]));

export const ChainFileSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.literal(CHAIN_FILE_VERSION).optional().describe('Format version (1)'),
  name: z.string().min(1).describe('Chain name, in traces'),
  description: z.string().optional(),
  input: JsonSchemaObject.optional().describe('JSON Schema of the run input; checked before the run starts'),
  output: ValueTemplate.optional().describe('The run output, built from the scope; default: the last step\'s output'),
  modelAliases: z.record(z.string(), z.string().min(1)).optional().describe('Model ids (e.g. googleai/gemini-2.0-flash in .prompt files) -> models of the local fleet'),
  agents: z.record(AgentName, AgentDeclSchema).describe('Agents by name'),
  steps: StepOrList.describe('The steps: one step or a list run in sequence'),
});

export type ChainFile = z.output<typeof ChainFileSchema>;
export type InlineAgentDecl = z.output<typeof InlineAgentSchema>;
export type PromptFileAgentDecl = z.output<typeof PromptFileAgentSchema>;
export type AgentDecl = z.output<typeof AgentDeclSchema>;

/** The step kinds a chain file knows, by their key. */
export const STEP_KINDS = ['call', 'sequence', 'fanOut', 'loop', 'branch', 'template', 'value'] as const;

/** The JSON Schema of chain files, as published for editors. */
export function chainFileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(ChainFileSchema, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://flotilla.dev/schema/chain.schema.json',
    title: 'Flotilla chain file',
    ...schema,
  };
}
