import type { AgentOptions, OutputSchema } from '@flotilla/core';
import type { ChainDiagnostic, SourcePosition } from '../parse/chain-diagnostic';
import type { StaticType } from '../validate/static-type';
import type { ChainAgentSpec } from './chain-agent.factory';

/** A declared agent, ready to become a class: its spec and what the validator knows of its types. */
export interface ResolvedAgent {
  name: string;
  spec: ChainAgentSpec;
  /** JSON Schema of the call input, when declared. */
  inputType: StaticType;
  /** The reply: the output schema, or a string. */
  outputType: StaticType;
  declaredAt: SourcePosition;
}

export interface AgentResolution {
  agent?: ResolvedAgent;
  diagnostics: ChainDiagnostic[];
}

/** Common `@Agent` options of both agent forms, from the chain file's declaration. */
export function agentOptions(
  name: string,
  decl: Pick<AgentOptions, 'role' | 'model' | 'timeoutMs' | 'timeouts' | 'retries' | 'concurrency' | 'priority' | 'options' | 'description'>,
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
  if (decl.description !== undefined) o.description = decl.description;
  return o;
}
