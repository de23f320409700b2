import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { type Chain, type OutputSchema, closestName } from '@flotilla/core';
import { dataSchema } from './validate/data-schema';
import { type ChainDiagnostic, chainInvalid } from './parse/chain-diagnostic';
import { parseChain } from './parse/parse-chain';
import type { SourceLimits } from './parse/source-limits';
import type { SourcePosition } from './parse/chain-diagnostic';
import { readSourceText } from './parse/read-source';
import { resolveFileReference } from './parse/file-reference';
import type { ResolvedAgent } from './agents/resolved-agent';
import { resolveInlineAgent } from './agents/inline-agent';
import { loadPromptFileAgent } from './agents/prompt-file-agent';
import { ChainCompiler } from './compile/chain-compiler';
import type { TemplateAgentSpec } from './agents/chain-agent';
import type { FileStepKind } from './kinds/file-step-kind';
import { BUILT_IN_STEP_KINDS } from './kinds/built-in-kinds';

export interface LoadChainOptions {
  limits?: SourceLimits;
  /** Model aliases from the configuration; the chain file's own `modelAliases` take precedence. */
  modelAliases?: Readonly<Record<string, string>>;
  /**
   * Directory `file:` references resolve against, and must stay inside (after `..` and
   * symbolic links). @default the chain file's directory
   */
  baseDir?: string;
  /**
   * Further directories `file:` references may point into, named explicitly by the user
   * (`flotilla --allow-dir`). Nothing outside `baseDir` and these is read. @default []
   */
  allowDirs?: readonly string[];
  /**
   * Agents known to the engine by name (given to `createFlotilla({ agents })` in code) that
   * steps may call besides the file's own; their input and output are not checked statically.
   * @default []
   */
  externalAgents?: readonly string[];
  /**
   * Tools known to the engine by name (`createFlotilla({ tools })`): when given, an agent that
   * names another tool is reported where it names it, with the closest known name. When not
   * given, tool names are checked by `flotilla.validate` and before a run.
   */
  tools?: readonly string[];
  /** Step kinds beyond the built-in ones (see `FileStepKind`). @default [] */
  stepKinds?: readonly FileStepKind[];
}

/** A chain file compiled into core's structures: run `chain` with `createFlotilla(...).run(chain, input)`. */
export interface CompiledChain {
  file: string;
  chain: Chain<unknown, unknown>;
  /** The spec of every declared agent a step calls (the chain's steps refer to them directly). */
  agents: TemplateAgentSpec[];
  /** The declared run input schema, to check an input before the run. */
  input?: OutputSchema<unknown>;
  /** Where the input schema is declared, for messages about a run input. */
  inputAt?: SourcePosition;
  /** Warnings (unused agents, unreachable steps); errors throw instead. */
  warnings: ChainDiagnostic[];
  /** Where each declared agent is declared (its key in the chain file), for later checks' messages. */
  agentPositions: Readonly<Record<string, SourcePosition>>;
}

/** Reads, checks and compiles a chain file. Throws a `config` FlotillaError listing every problem with file:line:col. */
export async function loadChain(file: string, options: LoadChainOptions = {}): Promise<CompiledChain> {
  const read = await readSourceText(file, 'chain file', options.limits);
  if ('diagnostic' in read) throw chainInvalid([read.diagnostic]);
  return compileChainSource(read.text, file, { baseDir: path.dirname(file), ...options });
}

/** Like `loadChain`, from text already read (`file` names it in messages). */
export async function compileChainSource(text: string, file: string, options: LoadChainOptions = {}): Promise<CompiledChain> {
  const kinds = options.stepKinds?.length ? BUILT_IN_STEP_KINDS.with(options.stepKinds) : BUILT_IN_STEP_KINDS;
  const { chain: parsed, diagnostics } = parseChain(text, file, options.limits, kinds);
  if (!parsed) throw chainInvalid(diagnostics);
  const aliases = { ...options.modelAliases, ...parsed.data.modelAliases };
  const agents = new Map<string, ResolvedAgent>();
  const problems: ChainDiagnostic[] = [];
  const baseDir = options.baseDir ?? path.dirname(file);
  // The chain's source hash (durable runs refuse to resume another): this file and the files it includes.
  const included = new Map<string, string>();
  const onRead = (f: string, t: string) => void included.set(f, t);
  await Promise.all(
    Object.entries(parsed.data.agents).map(async ([name, decl]) => {
      let r;
      if ('file' in decl) {
        const referencedAt = parsed.source.position(['agents', name, 'file']);
        const target = await resolveFileReference(decl.file, baseDir, options.allowDirs);
        r =
          'problem' in target
            ? { diagnostics: [{ ...referencedAt, severity: 'error' as const, code: 'fileOutside', message: `agent "${name}": file: ${target.problem}`, hint: target.hint }] }
            : await loadPromptFileAgent(name, target.file, { modelAliases: aliases, limits: options.limits, overrides: withoutFile(decl), referencedAt, onRead });
      } else r = resolveInlineAgent(name, decl, parsed.source, aliases);
      problems.push(...r.diagnostics);
      if (r.agent) agents.set(name, r.agent);
    }),
  );
  let input: OutputSchema<unknown> | undefined;
  if (parsed.data.input) {
    try {
      input = dataSchema(parsed.data.input, `${file}: input schema`);
    } catch (e) {
      problems.push({ ...parsed.source.position(['input']), severity: 'error', code: 'schema', message: (e as Error).message });
    }
  }
  // Agents that failed to load still count as declared, so steps calling them are not "unknown".
  for (const name of options.externalAgents ?? []) {
    if (Object.hasOwn(parsed.data.agents, name)) {
      problems.push({ ...parsed.source.position(['agents', name]), severity: 'error', code: 'duplicateAgent', message: `agent "${name}" is declared in the file and also bound in code`, hint: 'rename one of them' });
    }
  }
  if (options.tools) problems.push(...unknownTools(agents, options.tools, (name, i) => parsed.source.position(['agents', name, 'tools', i])));
  const compiler = new ChainCompiler(parsed, agents, new Set(Object.keys(parsed.data.agents)), new Set(options.externalAgents ?? []), kinds);
  const compiled = compiler.compile();
  const all = [...problems, ...compiled.diagnostics].sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1));
  if (all.some((d) => d.severity === 'error')) throw chainInvalid(all);
  const agentPositions = Object.fromEntries(Object.keys(parsed.data.agents).map((name) => [name, agents.get(name)?.declaredAt ?? parsed.source.position(['agents', name])]));
  const inputAt = parsed.data.input ? parsed.source.position(['input']) : undefined;
  const hash = createHash('sha256').update(text);
  for (const name of [...included.keys()].sort()) hash.update(`\u0000${path.relative(baseDir, name)}\u0000${included.get(name)}`);
  const chain = { ...compiled.chain, sourceHash: hash.digest('hex') };
  return { file, chain, agents: compiled.agents, input, inputAt, warnings: all, agentPositions };
}

function unknownTools(agents: ReadonlyMap<string, ResolvedAgent>, known: readonly string[], at: (agent: string, index: number) => SourcePosition): ChainDiagnostic[] {
  const out: ChainDiagnostic[] = [];
  for (const [name, agent] of agents) {
    (agent.spec.options.tools ?? []).forEach((tool, i) => {
      if (typeof tool !== 'string' || known.includes(tool)) return;
      const guess = closestName(tool, known);
      out.push({
        ...at(name, i),
        severity: 'error',
        code: 'unknownTool',
        message: `agent "${name}": unknown tool "${tool}"; known tools: ${known.join(', ') || 'none'}`,
        hint: guess ? `did you mean "${guess}"?` : 'give it to createFlotilla({ tools }); on the command line, export it from a --tools module, or name an MCP server in the fleet file',
      });
    });
  }
  return out;
}

function withoutFile<T extends { file: string }>(decl: T): Omit<T, 'file'> {
  const { file: _file, ...rest } = decl;
  return rest;
}
