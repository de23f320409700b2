import { FlotillaError, jsonSchema } from '@flotilla/core';
import type { ChainDiagnostic } from '../parse/chain-diagnostic';
import type { InlineAgentDecl } from '../parse/chain-file.schema';
import type { PathSegment, YamlSource } from '../parse/yaml-source';
import { checkTemplate, compileTemplate } from '../template/template-engine';
import { STRING } from '../validate/static-type';
import { dataSchema } from '../validate/data-schema';
import { type AgentResolution, agentOptions, templateReads } from './resolved-agent';

/** An agent declared inline in a chain file: templates checked, schemas checked against the portable subset. */
export function resolveInlineAgent(name: string, decl: InlineAgentDecl, source: YamlSource, aliases: Readonly<Record<string, string>>): AgentResolution {
  const path: PathSegment[] = ['agents', name];
  const diagnostics: ChainDiagnostic[] = [];
  const err = (at: PathSegment[], code: string, message: string, hint?: string, lineDelta = 0) => {
    const p = source.position(at);
    diagnostics.push({ ...p, line: p.line + lineDelta, severity: 'error', code, message, hint });
  };
  for (const key of ['system', 'prompt'] as const) {
    const text = decl[key];
    if (text === undefined) continue;
    const problem = checkTemplate(text);
    if (problem) err([...path, key], 'template', `agent "${name}" ${key}: ${problem.message}`, 'templates are Handlebars without code: {{name}}, {{#if}}, {{#each}}, {{role "user"}}', blockLine(source, [...path, key], problem.line));
  }
  const schema = (key: 'input' | 'output') => {
    const s = decl[key];
    if (s === undefined) return undefined;
    try {
      return key === 'input' ? dataSchema(s, `agent "${name}" input schema`) : jsonSchema(s, `agent "${name}" output schema`);
    } catch (e) {
      const portability = FlotillaError.is(e) && Array.isArray(e.details['violations']);
      err([...path, key], 'schema', FlotillaError.is(e) ? e.message : String(e), portability ? 'keep to the portable subset: every property required, additionalProperties: false (docs/json-schema-subset.md)' : 'fix the JSON Schema (docs/json-schema-subset.md shows the forms output schemas use)');
      return undefined;
    }
  };
  const input = schema('input');
  const output = schema('output');
  if (diagnostics.length > 0) return { diagnostics };
  const reads = (['system', 'prompt'] as const).flatMap((key) => {
    const text = decl[key];
    if (text === undefined) return [];
    const start = source.position([...path, key]);
    return templateReads(text, (line) => (line === 1 && blockLine(source, [...path, key], 1) === 0 ? start : { ...start, line: start.line + blockLine(source, [...path, key], line), col: 1 }));
  });
  const model = decl.model === undefined ? undefined : (aliases[decl.model] ?? decl.model);
  return {
    agent: {
      name,
      spec: {
        options: agentOptions(name, { ...decl, model }, output),
        system: decl.system === undefined ? undefined : compileTemplate(decl.system),
        input,
        prompt: compileTemplate(decl.prompt),
        source: `${source.file} (agent "${name}")`,
      },
      inputType: input?.jsonSchema,
      outputType: output?.jsonSchema ?? STRING,
      declaredAt: source.position(path),
      templateReads: reads,
    },
    diagnostics,
  };
}

/** Lines to add to a template's position to reach its `line` (block scalars start on the next line). */
function blockLine(source: YamlSource, at: PathSegment[], line: number | undefined): number {
  if (line === undefined) return 0;
  const text = source.doc.getIn(at, true) as { type?: string } | undefined;
  const block = text?.type === 'BLOCK_LITERAL' || text?.type === 'BLOCK_FOLDED';
  return line - 1 + (block ? 1 : 0);
}
