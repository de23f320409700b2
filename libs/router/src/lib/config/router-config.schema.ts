import { z } from 'zod';
import type { EndpointField } from '../kinds/endpoint-kind';
import { endpointKinds } from '../kinds/endpoint-kinds';

/**
 * The fleet configuration file (YAML or JSON), declared once here. An endpoint's `kind` is
 * one of the registered endpoint kinds (`endpointKinds`), which say what else the entry
 * needs. The published JSON Schema (`libs/router/schema/flotilla.schema.json`) is generated
 * from this declaration and the built-in kinds by `libs/router/scripts/write-json-schema.ts`;
 * a spec keeps the two in step.
 */
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
    kind: z.string().describe('An endpoint kind: ollama, openai, llama-cpp, fixture, or one registered in code (endpointKinds.register).'),
    url: z.url().optional().describe('Server address (ollama: http://host:11434; openai: http://host:8080/v1).'),
    modelPaths: z.record(z.string(), z.string().min(1)).optional().describe('llama-cpp: GGUF file per model name.'),
    cassettes: z.array(z.string().min(1)).min(1).optional().describe('fixture: cassette files to replay.'),
    slots: positiveInt().default(1).describe("Requests served at once per model: the server's parallel setting (OLLAMA_NUM_PARALLEL, llama-server -np)."),
    maxLoadedModels: positiveInt().default(3).describe('Models the server keeps loaded side by side (OLLAMA_MAX_LOADED_MODELS).'),
    models: z.array(z.string().min(1)).optional().describe('Allow-list: only these models are routed here.'),
    labels: z.array(z.string().min(1)).default([]).describe('Free labels such as small, large, gpu.'),
    apiKeyEnv: z.string().regex(ENV_NAME, 'an environment variable name').optional().describe('Environment variable holding the API key (never the key itself).'),
    options: z.record(z.string(), z.unknown()).optional().describe("Settings of the endpoint's kind only (fixture: pace, speed)."),
    onDemand: OnDemandSchema.optional(),
  })
  .strict()
  .superRefine((e, ctx) => checkKind(e, ctx));

/** What the entry's kind says: that it exists, the fields it requires, its options. */
function checkKind(e: { kind: string; options?: Record<string, unknown> } & Partial<Record<EndpointField, unknown>>, ctx: z.RefinementCtx): void {
  const kind = endpointKinds.find(e.kind);
  if (!kind) {
    const guess = endpointKinds.closest(e.kind);
    const known = endpointKinds.keys().map((k) => JSON.stringify(k)).join(', ');
    // The value is part of the message (before the guess), so the issue carries none to append.
    ctx.addIssue({ code: 'custom', path: ['kind'], input: undefined, message: `one of ${known}, got ${JSON.stringify(e.kind)}${guess ? `; did you mean "${guess}"?` : ''}` });
    return;
  }
  for (const [field, use] of Object.entries(kind.fields)) {
    if (use?.required && e[field as EndpointField] === undefined) ctx.addIssue({ code: 'custom', path: [field], input: undefined, message: `${use.expected} (required for kind ${kind.name})` });
  }
  if (e.options === undefined) return;
  if (!kind.options) {
    ctx.addIssue({ code: 'custom', path: ['options'], input: undefined, message: `no options (kind ${kind.name} takes none)` });
    return;
  }
  const parsed = kind.options.safeParse(e.options, { reportInput: true });
  if (!parsed.success) for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['options', ...issue.path] } as z.core.$ZodRawIssue);
}

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
    priorityAgingMs: positiveInt()
      .optional()
      .describe('A waiting call gains one priority level per this many ms, so no class starves (off when unset).'),
    maxQueueMs: durationMs()
      .default(120_000)
      .describe('Fail a call (overloaded) that waited this long in the router for a slot; its deadlines start only when it leaves the queue.'),
  })
  .strict();

/**
 * An MCP server whose tools agents may name (`<server>_<tool>`): how to start it (stdio) or
 * reach it (streamable HTTP). Only here, in configuration: a chain file names tools, never a
 * command or a URL. Secrets are never written here: `passEnv` and `bearerTokenEnv` name
 * environment variables.
 */
export const McpServerSchema = z
  .object({
    command: z.string().min(1).optional().describe('stdio: the program that serves the tools (started without a shell).'),
    args: z.array(z.string()).default([]).describe('stdio: its arguments.'),
    cwd: z.string().min(1).optional().describe("stdio: its working directory, relative to this file. Default: this file's folder."),
    env: z.record(z.string().regex(ENV_NAME, 'an environment variable name'), z.string()).default({}).describe('stdio: environment values for it, besides PATH, HOME and the like (no secrets: use passEnv).'),
    passEnv: z.array(z.string().regex(ENV_NAME, 'an environment variable name')).default([]).describe("stdio: variables copied from flotilla's own environment (API keys)."),
    url: z.url().optional().describe('Streamable HTTP: the server\'s endpoint (http://127.0.0.1:8931/mcp).'),
    headers: z.record(z.string(), z.string()).default({}).describe('Streamable HTTP: request headers (no secrets: use bearerTokenEnv).'),
    bearerTokenEnv: z.string().regex(ENV_NAME, 'an environment variable name').optional().describe('Streamable HTTP: the variable holding a token sent as "Authorization: Bearer ...".'),
    timeoutMs: positiveInt().optional().describe('Deadline of each tool call, cancelled on the server then. Default 30000.'),
    connectTimeoutMs: positiveInt().optional().describe('Deadline of starting or reaching the server and listing its tools. Default 10000.'),
    tools: z.array(z.string().min(1)).min(1).optional().describe("Only these of the server's tools (their MCP names). Default: all."),
    maxResultChars: z.number().int().min(64).optional().describe("Characters of a tool's result sent to the model at most. Default 16000."),
  })
  .strict()
  .superRefine((s, ctx) => {
    if ((s.command === undefined) === (s.url === undefined)) ctx.addIssue({ code: 'custom', path: [], input: undefined, message: 'exactly one of command (stdio) or url (streamable HTTP)' });
    const stdio = ['cwd', 'passEnv', 'env', 'args'] as const;
    const http = ['headers', 'bearerTokenEnv'] as const;
    const given = (k: string) => {
      const v = (s as Record<string, unknown>)[k];
      return v !== undefined && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);
    };
    if (s.url !== undefined) for (const k of stdio) if (given(k)) ctx.addIssue({ code: 'custom', path: [k], input: undefined, message: `no ${k} for a server reached by url (${k} is for a command started over stdio)` });
    if (s.command !== undefined) for (const k of http) if (given(k)) ctx.addIssue({ code: 'custom', path: [k], input: undefined, message: `no ${k} for a server started by command (${k} is for a url)` });
  });

/** An MCP server's name: it prefixes its tools' names. */
export const MCP_SERVER_NAME = /^[A-Za-z0-9-]{1,32}$/;

export const RouterConfigSchema = z
  .object({
    $schema: z.string().optional(),
    endpoints: z.array(EndpointSchema).min(1),
    agents: z.record(z.string(), AgentRouteSchema).default({}),
    routing: RoutingSchema.default(RoutingSchema.parse({})),
    mcp: z
      .record(z.string(), McpServerSchema)
      .default({})
      .describe('MCP servers whose tools agents name as <server>_<tool>: started or reached only when a chain names one of their tools.'),
  })
  .strict()
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.endpoints.forEach((e, i) => {
      if (seen.has(e.name)) ctx.addIssue({ code: 'custom', path: ['endpoints', i, 'name'], message: `a name not used by another endpoint ("${e.name}" is)` });
      seen.add(e.name);
    });
    for (const name of Object.keys(c.mcp)) {
      if (!MCP_SERVER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: ['mcp', name], input: undefined, message: `a server name of 1-32 letters, digits or "-" (it prefixes its tools' names), got ${JSON.stringify(name)}` });
    }
  });

/** A validated configuration, defaults applied. */
export type RouterConfig = z.output<typeof RouterConfigSchema>;
/** What a file may contain (defaults optional). */
export type RouterConfigInput = z.input<typeof RouterConfigSchema>;
export type EndpointConfig = RouterConfig['endpoints'][number];
/** An endpoint entry as a file may write it. */
export type EndpointInput = RouterConfigInput['endpoints'][number];
export type AgentRoute = RouterConfig['agents'][string];
export type RoutingConfig = RouterConfig['routing'];
export type OnDemandConfig = NonNullable<EndpointConfig['onDemand']>;
export type McpServerEntry = RouterConfig['mcp'][string];
export type RoutingPolicy = (typeof ROUTING_POLICIES)[number];

/**
 * The JSON Schema of the file, as published: the zod declaration, with what the registered
 * kinds say (their names, the fields each requires, the options each takes) written as
 * `if kind is ... then ...` rules on an endpoint entry.
 */
export function routerConfigJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RouterConfigSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  const entry = (schema['properties'] as { endpoints: { items: { properties: Record<string, Record<string, unknown>>; allOf?: unknown[] } } }).endpoints.items;
  entry.properties['kind'] = { ...entry.properties['kind'], enum: endpointKinds.keys() };
  entry.allOf = endpointKinds.keys().map((name) => {
    const kind = endpointKinds.get(name);
    const required = Object.entries(kind.fields).filter(([, use]) => use?.required).map(([field]) => field);
    const { $schema: _, ...options } = kind.options ? (z.toJSONSchema(kind.options, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>) : {};
    return {
      if: { properties: { kind: { const: name } }, required: ['kind'] },
      then: { ...(required.length ? { required } : {}), properties: { options: kind.options ? options : false } },
    };
  });
  return { ...schema, $id: 'https://flotilla.dev/schema/flotilla.schema.json', title: 'Flotilla fleet configuration' };
}
