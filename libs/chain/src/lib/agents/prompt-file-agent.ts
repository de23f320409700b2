import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Dotprompt } from 'dotprompt';
import { FlotillaError, type SamplingOptions, jsonSchema } from '@flotilla/core';
import type { ChainDiagnostic, SourcePosition } from '../parse/chain-diagnostic';
import type { PromptFileAgentDecl } from '../parse/chain-file.schema';
import { type SourceLimits, resolveSourceLimits } from '../parse/source-limits';
import { YamlSource } from '../parse/yaml-source';
import { checkTemplate, compileTemplate } from '../template/template-engine';
import { STRING } from '../validate/static-type';
import { dataSchema } from '../validate/data-schema';
import { type AgentResolution, agentOptions } from './resolved-agent';

/** Genkit model config keys -> Flotilla sampling options. */
const CONFIG_KEYS: Readonly<Record<string, keyof SamplingOptions>> = {
  temperature: 'temperature',
  topP: 'topP',
  topK: 'topK',
  seed: 'seed',
  maxOutputTokens: 'maxTokens',
  stopSequences: 'stop',
};

const FRONT_MATTER = /^---\s*\r?\n([\s\S]*?)\r?\n---\s*(?:\r?\n|$)/;

export interface PromptFileOptions {
  /** Model ids of the prompt (e.g. `googleai/gemini-2.0-flash`) -> local models. */
  modelAliases?: Readonly<Record<string, string>>;
  limits?: SourceLimits;
  /** Overrides from the chain file (model, retries, timeouts, ...), over the file's own. */
  overrides?: Omit<PromptFileAgentDecl, 'file'>;
  /** Where the agent is referenced from, for messages about the file itself. */
  referencedAt?: SourcePosition;
}

/**
 * Loads a Dotprompt `.prompt` file as an agent: dotprompt parses the front matter and
 * turns Picoschema into JSON Schema; the body is rendered by dotprompt's Handlebars
 * environment (see template-engine.ts). A model id with a provider prefix must be in the
 * model-alias map, so a prompt written for Genkit runs unchanged on the local fleet.
 */
export async function loadPromptFileAgent(name: string, file: string, options: PromptFileOptions = {}): Promise<AgentResolution> {
  const lim = resolveSourceLimits(options.limits);
  const at = (line: number, col: number, code: string, message: string, hint?: string): ChainDiagnostic => ({ file, line, col, severity: 'error', code, message, hint });
  let text: string;
  try {
    const stat = await fs.stat(file);
    if (stat.size > lim.maxBytes) return { diagnostics: [at(1, 1, 'tooLarge', `prompt file is ${stat.size} bytes; expected at most ${lim.maxBytes}`)] };
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const ref = options.referencedAt ?? { file, line: 1, col: 1 };
    return { diagnostics: [{ ...ref, severity: 'error', code: 'missingFile', message: `agent "${name}": cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, hint: 'file: is relative to the chain file' }] };
  }
  const fm = FRONT_MATTER.exec(text);
  if (!fm) return { diagnostics: [at(1, 1, 'promptFile', 'expected YAML front matter between --- lines, then the template', 'start the file with ---, model: ..., ---')] };
  // The front matter through our parser first: limits and positions for every error.
  const front = YamlSource.parse(fm[1]!, file, options.limits, 1);
  if (!front.source) return { diagnostics: front.diagnostics };
  const bodyLine = fm[0].split('\n').length;

  const dp = new Dotprompt();
  const parsed = dp.parse(text);
  let meta;
  try {
    meta = await dp.renderMetadata(parsed);
  } catch (e) {
    return { diagnostics: [at(1, 1, 'promptFile', `front matter: ${(e as Error).message}`)] };
  }
  const diagnostics: ChainDiagnostic[] = [];
  const err = (keyPath: string[], code: string, message: string, hint?: string) => diagnostics.push({ ...front.source!.position(keyPath), severity: 'error', code, message, hint });

  const problem = checkTemplate(parsed.template);
  if (problem) diagnostics.push(at(bodyLine + (problem.line ?? 1) - 1, 1, 'template', problem.message));

  const aliases = options.modelAliases ?? {};
  const rawModel = options.overrides?.model ?? meta.model;
  const model = rawModel === undefined ? undefined : (aliases[rawModel] ?? rawModel);
  if (rawModel !== undefined && options.overrides?.model === undefined && rawModel.includes('/') && aliases[rawModel] === undefined) {
    err(['model'], 'modelAlias', `model "${rawModel}" is not a local model and is not in the model-alias map`, `add modelAliases: { "${rawModel}": <a model of your fleet> } to the chain file or the configuration`);
  }

  const sampling: SamplingOptions = {};
  for (const [k, v] of Object.entries((meta.config ?? {}) as Record<string, unknown>)) {
    const key = CONFIG_KEYS[k];
    if (key) (sampling as Record<string, unknown>)[key] = v;
  }
  const schema = (kind: 'input' | 'output') => {
    const s = meta[kind]?.schema as Record<string, unknown> | undefined;
    if (!s) return undefined;
    try {
      return kind === 'input' ? dataSchema(s, `${file} input schema`) : jsonSchema(s, `${file} output schema`);
    } catch (e) {
      err([kind, 'schema'], 'schema', FlotillaError.is(e) ? e.message : String(e), 'in Picoschema mark no field optional (name?); use "type, nullable" instead');
      return undefined;
    }
  };
  const input = schema('input');
  const output = meta.output?.format === 'json' || meta.output?.schema ? schema('output') : undefined;
  if (diagnostics.length > 0) return { diagnostics };
  const overrides = options.overrides ?? {};
  return {
    agent: {
      name,
      spec: {
        options: agentOptions(name, { ...overrides, model, options: { ...sampling, ...overrides.options } }, output),
        input,
        prompt: compileTemplate(parsed.template),
        inputDefaults: meta.input?.default,
        source: `${path.basename(file)} (agent "${name}")`,
      },
      // Inputs with a default need not come from the step.
      inputType: input && withDefaults(input.jsonSchema, meta.input?.default),
      outputType: output?.jsonSchema ?? STRING,
      declaredAt: options.referencedAt ?? { file, line: 1, col: 1 },
    },
    diagnostics: [],
  };
}

function withDefaults(schema: Record<string, unknown>, defaults: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!defaults || !Array.isArray(schema['required'])) return schema;
  return { ...schema, required: (schema['required'] as string[]).filter((k) => !Object.hasOwn(defaults, k)) };
}
