import { z } from 'zod';

/**
 * The fleet configuration file (YAML or JSON), declared once here. The published JSON Schema
 * (`libs/router/schema/flotilla.schema.json`) is generated from this declaration by
 * `libs/router/scripts/write-json-schema.ts`; a spec keeps the two in step.
 */
export const ENDPOINT_KINDS = ['ollama', 'openai', 'llama-cpp', 'fixture'] as const;
export const ROUTING_POLICIES = ['scored', 'round-robin', 'least-connections'] as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const positiveInt = () => z.number().int().min(1);
const durationMs = () => z.number().int().min(0);

export const OnDemandSchema = z
  .object({
    start: z.array(z.string().min(1)).min(1).describe('Command and arguments that start the server (no shell).'),
    stop: z.array(z.string().min(1)).min(1).optional().describe('Command that stops it; default: SIGTERM to the started process.'),
    cwd: z.string().optional(),
    readyTimeoutMs: durationMs().default(60_000).describe('How long to wait for the server to answer after starting.'),
    idleStopMs: durationMs().default(300_000).describe('Stop after this long without a request.'),
    warm: z.array(z.string().min(1)).default([]).describe('Models to load right after it is ready.'),
    queueThreshold: positiveInt().default(8).describe('Start when this many requests it could serve are queued.'),
  })
  .strict();

export const EndpointSchema = z
  .object({
    name: z.string().min(1).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" or "-"'),
    kind: z.enum(ENDPOINT_KINDS),
    url: z.url().optional().describe('Server address (ollama: http://host:11434; openai: http://host:8080/v1).'),
    modelPaths: z.record(z.string(), z.string().min(1)).optional().describe('llama-cpp: GGUF file per model name.'),
    cassettes: z.array(z.string().min(1)).min(1).optional().describe('fixture: cassette files to replay.'),
    slots: positiveInt().default(1).describe("Requests served at once per model: the server's parallel setting (OLLAMA_NUM_PARALLEL, llama-server -np)."),
    maxLoadedModels: positiveInt().default(3).describe('Models the server keeps loaded side by side (OLLAMA_MAX_LOADED_MODELS).'),
    models: z.array(z.string().min(1)).optional().describe('Allow-list: only these models are routed here.'),
    labels: z.array(z.string().min(1)).default([]).describe('Free labels such as small, large, gpu.'),
    apiKeyEnv: z.string().regex(ENV_NAME, 'an environment variable name').optional().describe('Environment variable holding the API key (never the key itself).'),
    onDemand: OnDemandSchema.optional(),
  })
  .strict()
  .superRefine((e, ctx) => {
    const need = (field: 'url' | 'modelPaths' | 'cassettes') => {
      if (e[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `a ${field === 'url' ? 'server URL' : field} (required for kind ${e.kind})` });
    };
    if (e.kind === 'ollama' || e.kind === 'openai') need('url');
    if (e.kind === 'llama-cpp') need('modelPaths');
    if (e.kind === 'fixture') need('cassettes');
  });

export const AgentRouteSchema = z
  .object({
    model: z.string().min(1),
    fallbacks: z.array(z.string().min(1)).default([]).describe('Models to use, in order, when the model is nowhere available.'),
    labels: z.array(z.string().min(1)).default([]).describe('Only endpoints with all these labels serve this agent.'),
    priority: z.number().int().optional().describe('Dispatch priority, higher first; overrides the call\'s (@Agent priority).'),
  })
  .strict();

export const RoutingSchema = z
  .object({
    policy: z.enum(ROUTING_POLICIES).default('scored'),
    affinity: z.boolean().default(true).describe('Calls of one conversation prefer the endpoint that served its last turn.'),
    numCtx: z.record(z.string(), positiveInt()).default({}).describe('num_ctx per model, sent on every call (a change would reload the model).'),
    defaultLoadMs: durationMs().default(3_000).describe('Assumed cold-load time until one is observed.'),
    healthIntervalMs: durationMs().default(5_000),
    probeTimeoutMs: positiveInt().default(2_000).describe('Deadline of one health probe, and of one context-window lookup, on one endpoint.'),
    failureThreshold: positiveInt().default(3).describe('Consecutive failures that open an endpoint\'s circuit.'),
    cooldownMs: durationMs().default(10_000).describe('Open circuit time before half-open trials.'),
    halfOpenTrials: positiveInt().default(1),
    maxQueueMs: durationMs()
      .default(120_000)
      .describe('Fail a call (overloaded) that waited this long in the router for a slot; its deadlines start only when it leaves the queue.'),
  })
  .strict();

export const RouterConfigSchema = z
  .object({
    $schema: z.string().optional(),
    endpoints: z.array(EndpointSchema).min(1),
    agents: z.record(z.string(), AgentRouteSchema).default({}),
    routing: RoutingSchema.default(RoutingSchema.parse({})),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.endpoints.forEach((e, i) => {
      if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'name'], message: `a name not used by another endpoint ("${e.name}" is)` });
      seen.add(e.name);
    });
  });

/** A validated configuration, defaults applied. */
export type RouterConfig = z.output<typeof RouterConfigSchema>;
/** What a file may contain (defaults optional). */
export type RouterConfigInput = z.input<typeof RouterConfigSchema>;
export type EndpointConfig = RouterConfig['endpoints'][number];
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];
export type AgentRoute = RouterConfig['agents'][string];
export type RoutingConfig = RouterConfig['routing'];
export type OnDemandConfig = NonNullable<EndpointConfig['onDemand']>;
export type RoutingPolicy = (typeof ROUTING_POLICIES)[number];

/** The JSON Schema of the file, as published. */
export function routerConfigJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(RouterConfigSchema, { io: 'input', target: 'draft-2020-12' }),
    $id: 'https://flotilla.dev/schema/flotilla.schema.json',
    title: 'Flotilla fleet configuration',
  };
}
