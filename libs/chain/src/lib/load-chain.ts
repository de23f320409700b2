import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { AgentClass, Chain, OutputSchema } from '@flotilla/core';
import { dataSchema } from './validate/data-schema';
import { type ChainDiagnostic, chainInvalid } from './parse/chain-diagnostic';
import { parseChain } from './parse/parse-chain';
import { type SourceLimits, resolveSourceLimits } from './parse/source-limits';
import type { ResolvedAgent } from './agents/resolved-agent';
import { resolveInlineAgent } from './agents/inline-agent';
import { loadPromptFileAgent } from './agents/prompt-file-agent';
import { ChainCompiler } from './compile/chain-compiler';

export interface LoadChainOptions {
  limits?: SourceLimits;
  /** Model aliases from the configuration; the chain file's own `modelAliases` take precedence. */
  modelAliases?: Readonly<Record<string, string>>;
  /** Directory `.prompt` files resolve against. @default the chain file's directory */
  baseDir?: string;
  /**
   * Agents bound in code on the same container (`@Agent` classes) that steps may call by
   * name besides the file's own; their input and output are not checked statically.
   * @default []
   */
  externalAgents?: readonly string[];
}

/** A chain file compiled into core's structures: bind `agents` and run `chain` on a ChainEngine. */
export interface CompiledChain {
  file: string;
  chain: Chain<unknown, unknown>;
  /** One class per declared agent that a step calls; bind each under TOKENS.Agent. */
  agents: AgentClass[];
  /** The declared run input schema, to check an input before the run. */
  input?: OutputSchema<unknown>;
  /** Warnings (unused agents, unreachable steps); errors throw instead. */
  warnings: ChainDiagnostic[];
}

/** Reads, checks and compiles a chain file. Throws a `config` FlotillaError listing every problem with file:line:col. */
export async function loadChain(file: string, options: LoadChainOptions = {}): Promise<CompiledChain> {
  const lim = resolveSourceLimits(options.limits);
  let text: string;
  try {
    const stat = await fs.stat(file);
    if (stat.size > lim.maxBytes) {
      throw chainInvalid([{ file, line: 1, col: 1, severity: 'error', code: 'tooLarge', message: `file is ${stat.size} bytes; expected at most ${lim.maxBytes}`, hint: 'split the chain, or raise the limit if the file is trusted' }]);
    }
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as { kind?: string }).kind === 'config') throw e;
    throw chainInvalid([{ file, line: 1, col: 1, severity: 'error', code: 'missingFile', message: `cannot read the chain file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` }]);
  }
  return compileChainSource(text, file, { baseDir: path.dirname(file), ...options });
}

/** Like `loadChain`, from text already read (`file` names it in messages). */
export async function compileChainSource(text: string, file: string, options: LoadChainOptions = {}): Promise<CompiledChain> {
  const { chain: parsed, diagnostics } = parseChain(text, file, options.limits);
  if (!parsed) throw chainInvalid(diagnostics);
  const aliases = { ...options.modelAliases, ...parsed.data.modelAliases };
  const agents = new Map<string, ResolvedAgent>();
  const problems: ChainDiagnostic[] = [];
  const baseDir = options.baseDir ?? path.dirname(file);
  await Promise.all(
    Object.entries(parsed.data.agents).map(async ([name, decl]) => {
      const r =
        'file' in decl
          ? await loadPromptFileAgent(name, path.resolve(baseDir, decl.file), {
              modelAliases: aliases,
              limits: options.limits,
              overrides: withoutFile(decl),
              referencedAt: parsed.source.position(['agents', name, 'file']),
            })
          : resolveInlineAgent(name, decl, parsed.source, aliases);
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
  const compiler = new ChainCompiler(parsed, agents, new Set(Object.keys(parsed.data.agents)), new Set(options.externalAgents ?? []));
  const compiled = compiler.compile();
  const all = [...problems, ...compiled.diagnostics].sort((a, b) => (a.file === b.file ? a.line - b.line || a.col - b.col : a.file < b.file ? -1 : 1));
  if (all.some((d) => d.severity === 'error')) throw chainInvalid(all);
  return { file, chain: compiled.chain, agents: compiled.agents, input, warnings: all };
}

function withoutFile<T extends { file: string }>(decl: T): Omit<T, 'file'> {
  const { file: _file, ...rest } = decl;
  return rest;
}
