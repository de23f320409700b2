import * as path from 'node:path';
import { Dotprompt } from 'dotprompt';
import { z } from 'zod';
import { FlotillaError, type SamplingOptions, closestName, expectedFromZodIssue, jsonSchema } from '@flotilla/core';
import type { ChainDiagnostic, SourcePosition } from '../parse/chain-diagnostic';
import { type PromptFileAgentDecl, SamplingOptionsSchema } from '../parse/chain-file.schema';
import type { SourceLimits } from '../parse/source-limits';
import { readSourceText } from '../parse/read-source';
import { type PathSegment, YamlSource } from '../parse/yaml-source';
import { checkTemplate, compileTemplate } from '../template/template-engine';
import { STRING } from '../validate/static-type';
import { dataSchema } from '../validate/data-schema';
import { type AgentResolution, agentOptions, templateReads } from './resolved-agent';

/** Genkit's model config names -> Flotilla sampling options (Flotilla's own names are taken as they are). */
const GENKIT_CONFIG_KEYS: Readonly<Record<string, keyof SamplingOptions>> = {
  maxOutputTokens: 'maxTokens',
  stopSequences: 'stop',
};
const FLOTILLA_CONFIG_KEYS = Object.keys(SamplingOptionsSchema.shape);

/** Every front matter key Dotprompt reserves; `namespace.key` extension keys are accepted too. */
export const DOTPROMPT_KEYS = ['name', 'variant', 'version', 'description', 'model', 'tools', 'toolDefs', 'config', 'input', 'output', 'raw', 'ext'] as const;

/** The reserved keys' shapes, checked so that a wrong type is said plainly (not a crash further on). */
const FrontMatterSchema = z.object({
  name: z.string().optional(),
  variant: z.string().optional(),
  version: z.union([z.string(), z.number()]).optional(),
  description: z.string().optional(),
  model: z.string().min(1).optional(),
  tools: z.array(z.string()).optional(),
  toolDefs: z.array(z.unknown()).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  input: z.object({ schema: z.unknown().optional(), default: z.record(z.string(), z.unknown()).optional() }).loose().optional(),
  output: z.object({ format: z.enum(['json', 'text']).optional(), schema: z.unknown().optional() }).loose().optional(),
  raw: z.unknown().optional(),
  ext: z.unknown().optional(),
});

const FRONT_MATTER = /^---\s*\r?\n([\s\S]*?)\r?\n---\s*(?:\r?\n|$)/;

export interface PromptFileOptions {
  /** Model ids of the prompt (e.g. `googleai/gemini-2.0-flash`) -> local models. */
  modelAliases?: Readonly<Record<string, string>>;
  limits?: SourceLimits;
  /** Overrides from the chain file (model, retries, timeouts, ...), over the file's own. */
  overrides?: Omit<PromptFileAgentDecl, 'file'>;
  /** Where the agent is referenced from, for messages about the file itself. */
  referencedAt?: SourcePosition;
  /** Told the file's text once read (the chain's source hash covers it). */
  onRead?: (file: string, text: string) => void;
}

/**
 * Loads a Dotprompt `.prompt` file as an agent: dotprompt parses the front matter and
 * turns Picoschema into JSON Schema; the body is rendered by dotprompt's Handlebars
 * environment (see template-engine.ts). A model id with a provider prefix must be in the
 * model-alias map, so a prompt written for Genkit runs unchanged on the local fleet.
 */
export async function loadPromptFileAgent(name: string, file: string, options: PromptFileOptions = {}): Promise<AgentResolution> {
  const at = (line: number, col: number, code: string, message: string, hint?: string): ChainDiagnostic => ({ file, line, col, severity: 'error', code, message, hint });
  const read = await readSourceText(file, 'prompt file', options.limits);
  if ('diagnostic' in read) {
    // A file that cannot be read is reported where the chain names it.
    const d = read.diagnostic;
    return { diagnostics: [d.code === 'missingFile' && options.referencedAt ? { ...d, ...options.referencedAt, message: `agent "${name}": ${d.message} (${file})`, hint: 'file: is relative to the chain file' } : d] };
  }
  const text = read.text;
  options.onRead?.(file, text);
  const fm = FRONT_MATTER.exec(text);
  if (!fm) return { diagnostics: [at(1, 1, 'promptFile', 'expected YAML front matter between --- lines, then the template', 'start the file with ---, model: ..., ---')] };
  // The front matter through our parser first: limits and positions for every error.
  const front = YamlSource.parse(fm[1]!, file, options.limits, 1);
  if (!front.source) return { diagnostics: front.diagnostics };
  const source = front.source;
  const bodyLine = fm[0].split('\n').length;
  const diagnostics: ChainDiagnostic[] = [];
  const err = (keyPath: PathSegment[], code: string, message: string, hint?: string, key?: string) => diagnostics.push({ ...source.position(keyPath, key), severity: 'error', code, message, hint });

  const fmValue = source.value ?? {};
  if (typeof fmValue !== 'object' || Array.isArray(fmValue)) {
    return { diagnostics: [at(2, 1, 'promptFile', 'the front matter must be a mapping of keys (model:, config:, input:, output:, ...)')] };
  }
  checkFrontMatter(fmValue as Record<string, unknown>, err);
  if (diagnostics.length > 0) return { diagnostics };

  const dp = new Dotprompt();
  const parsed = dp.parse(text);
  let meta;
  try {
    meta = await dp.renderMetadata(parsed);
  } catch (e) {
    // Picoschema refuses a type name it does not know: point at the schema that has it.
    const inputOk = await dp.renderMetadata({ ...parsed, output: undefined }).then(() => true, () => false);
    err([inputOk ? 'output' : 'input', 'schema'], 'schema', `front matter ${inputOk ? 'output' : 'input'}.schema: ${(e as Error).message}`, 'Picoschema types are string, number, integer, boolean, object, array, null and any (name(array): type, name(object): ..., name(enum): [a, b])');
    return { diagnostics };
  }

  const problem = checkTemplate(parsed.template);
  if (problem) diagnostics.push(at(bodyLine + (problem.line ?? 1) - 1, 1, 'template', problem.message));

  const aliases = options.modelAliases ?? {};
  const rawModel = options.overrides?.model ?? meta.model;
  const model = rawModel === undefined ? undefined : (aliases[rawModel] ?? rawModel);
  if (rawModel !== undefined && options.overrides?.model === undefined && rawModel.includes('/') && aliases[rawModel] === undefined) {
    err(['model'], 'modelAlias', `model "${rawModel}" is not a local model and is not in the model-alias map`, `add modelAliases: { "${rawModel}": <a model of your fleet> } to the chain file or the configuration`);
  }

  const sampling = samplingOptions((meta.config ?? {}) as Record<string, unknown>, err);
  const schema = (kind: 'input' | 'output') => {
    const raw = meta[kind]?.schema as Record<string, unknown> | undefined;
    if (!raw) return undefined;
    const s = withStringEnums(raw);
    try {
      return kind === 'input' ? dataSchema(s, `${file} input schema`) : jsonSchema(s, `${file} output schema`);
    } catch (e) {
      const invalid = FlotillaError.is(e) && !Array.isArray(e.details['violations']);
      err([kind, 'schema'], 'schema', FlotillaError.is(e) ? e.message : String(e), invalid ? 'fix the schema: Picoschema (name: type, description) or JSON Schema' : 'in Picoschema mark no field optional (name?); use "type, nullable" instead');
      return undefined;
    }
  };
  const input = schema('input');
  if (meta.output?.format === 'json' && !meta.output.schema) {
    err(['output', 'format'], 'schema', 'output.format: json needs output.schema (the shape of the reply); without it the reply would be taken as plain text', 'add output.schema (Picoschema or JSON Schema), or remove output.format');
  }
  const output = meta.output?.schema ? schema('output') : undefined;
  if (diagnostics.length > 0) return { diagnostics };
  const overrides = options.overrides ?? {};
  return {
    agent: {
      name,
      spec: {
        // Dotprompt's `tools:` names the tools; the chain file's own list, when given, wins.
        options: agentOptions(name, { ...overrides, model, options: { ...sampling, ...overrides.options }, tools: overrides.tools ?? meta.tools }, output),
        input,
        prompt: compileTemplate(parsed.template),
        inputDefaults: meta.input?.default,
        source: `${path.basename(file)} (agent "${name}")`,
      },
      // Inputs with a default need not come from the step.
      inputType: input && withDefaults(input.jsonSchema, meta.input?.default),
      outputType: output?.jsonSchema ?? STRING,
      declaredAt: options.referencedAt ?? { file, line: 1, col: 1 },
      templateReads: templateReads(parsed.template, (line) => ({ file, line: bodyLine + line - 1, col: 1 })),
    },
    diagnostics: [],
  };
}

type Err = (keyPath: PathSegment[], code: string, message: string, hint?: string, key?: string) => void;

/** Unknown keys (a typo such as `modle:` would silently drop the model) and wrong types of the reserved ones. */
function checkFrontMatter(value: Record<string, unknown>, err: Err): void {
  for (const key of Object.keys(value)) {
    if ((DOTPROMPT_KEYS as readonly string[]).includes(key) || /^[^.]+\.[^.]/.test(key)) continue;
    const guess = closestName(key, DOTPROMPT_KEYS);
    err([], 'unknownKey', `front matter: unknown key "${key}"; Dotprompt keys are ${DOTPROMPT_KEYS.join(', ')} (or namespaced extension keys such as myorg.key)`, guess ? `did you mean "${guess}"?` : 'remove it', key);
  }
  const r = FrontMatterSchema.safeParse(value, { reportInput: true });
  if (r.success) return;
  for (const issue of r.error.issues) {
    const at = issue.path as PathSegment[];
    err(at, 'schema', `front matter ${at.join('.')}: expected ${expectedFromZodIssue(issue)}`);
  }
}

/** The `config:` block as Flotilla sampling options: Genkit's names mapped, every value checked, unknown keys refused. */
function samplingOptions(config: Record<string, unknown>, err: Err): SamplingOptions {
  const mapped: Record<string, unknown> = {};
  const origin: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) {
    const target = GENKIT_CONFIG_KEYS[key] ?? (FLOTILLA_CONFIG_KEYS.includes(key) ? key : undefined);
    if (!target) {
      const known = [...FLOTILLA_CONFIG_KEYS, ...Object.keys(GENKIT_CONFIG_KEYS)];
      const guess = closestName(key, known);
      err(['config'], 'unknownKey', `config: "${key}" is not a sampling option Flotilla knows; expected one of ${known.join(', ')}`, guess ? `did you mean "${guess}"?` : 'remove it (provider-specific settings have no local equivalent)', key);
      continue;
    }
    mapped[target] = value;
    origin[target] = key;
  }
  const r = SamplingOptionsSchema.safeParse(mapped, { reportInput: true });
  if (r.success) return r.data as SamplingOptions;
  for (const issue of r.error.issues) {
    const key = origin[String(issue.path[0])] ?? String(issue.path[0]);
    err(['config', key, ...(issue.path.slice(1) as PathSegment[])], 'schema', `config.${key}: expected ${expectedFromZodIssue(issue)}`);
  }
  return {};
}

/** Picoschema's `name(enum): [a, b]` gives `{ enum: [...] }` without a type: string values make it the portable string enum. */
function withStringEnums(schema: unknown): Record<string, unknown> {
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (typeof node !== 'object' || node === null) return node;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === 'enum' || k === 'const' || k === 'default' ? v : visit(v);
    const values = out['enum'];
    if (out['type'] === undefined && Array.isArray(values) && values.length > 0 && values.every((v) => typeof v === 'string')) out['type'] = 'string';
    return out;
  };
  return visit(schema) as Record<string, unknown>;
}

function withDefaults(schema: Record<string, unknown>, defaults: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!defaults || !Array.isArray(schema['required'])) return schema;
  return { ...schema, required: (schema['required'] as string[]).filter((k) => !Object.hasOwn(defaults, k)) };
}
