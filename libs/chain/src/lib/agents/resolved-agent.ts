import type { AgentOptions, OutputSchema } from '@flotilla/core';
import type { ChainDiagnostic, SourcePosition } from '../parse/chain-diagnostic';
import type { StaticType } from '../validate/static-type';
import { templateRootNames } from '../template/template-engine';
import type { ChainAgentSpec } from './chain-agent';

/** A declared agent, ready to become a class: its spec and what the validator knows of its types. */
export interface ResolvedAgent {
  name: string;
  spec: ChainAgentSpec;
  /** JSON Schema of the call input, when declared. */
  inputType: StaticType;
  /** The reply: the output schema, or a string. */
  outputType: StaticType;
  declaredAt: SourcePosition;
  /** Names the agent's templates read from the call input (`{{topic}}`), where each is read; `{{#if name}}` guards left out. */
  templateReads: TemplateRead[];
}

export interface TemplateRead {
  name: string;
  at: SourcePosition;
}

/** The names a template reads from its input that the template does not guard with `{{#if}}`. */
export function templateReads(source: string, at: (templateLine: number) => SourcePosition): TemplateRead[] {
  let roots: { name: string; line: number; guarded: boolean }[];
  try {
    roots = templateRootNames(source);
  } catch {
    return []; // a template that does not parse is reported by checkTemplate
  }
  const seen = new Set<string>();
  return roots.filter((r) => !r.guarded && r.name !== 'this' && !seen.has(r.name) && seen.add(r.name)).map((r) => ({ name: r.name, at: at(r.line) }));
}

export interface AgentResolution {
  agent?: ResolvedAgent;
  diagnostics: ChainDiagnostic[];
}

/** Common `@Agent` options of both agent forms, from the chain file's declaration. */
export function agentOptions(
  name: string,
  decl: Pick<AgentOptions, 'role' | 'model' | 'timeoutMs' | 'timeouts' | 'retries' | 'concurrency' | 'priority' | 'options' | 'providerOptions' | 'description' | 'toolChoice' | 'toolLoop'> & {
    tools?: readonly string[];
  },
  output: OutputSchema<unknown> | undefined,
): AgentOptions {
  const o: AgentOptions = { name };
  if (decl.role !== undefined) o.role = decl.role;
  if (decl.model !== undefined) o.model = decl.model;
  if (output !== undefined) o.output = output;
  if (decl.timeoutMs !== undefined) o.timeoutMs = decl.timeoutMs;
  if (decl.timeouts !== undefined) o.timeouts = decl.timeouts;
  if (decl.retries !== undefined) o.retries = decl.retries;
  if (decl.concurrency !== undefined) o.concurrency = decl.concurrency;
  if (decl.priority !== undefined) o.priority = decl.priority;
  if (decl.options !== undefined) o.options = decl.options;
  if (decl.providerOptions !== undefined) o.providerOptions = decl.providerOptions;
  if (decl.description !== undefined) o.description = decl.description;
  if (decl.tools !== undefined) o.tools = decl.tools;
  if (decl.toolChoice !== undefined) o.toolChoice = decl.toolChoice;
  if (decl.toolLoop !== undefined) o.toolLoop = decl.toolLoop;
  return o;
}
