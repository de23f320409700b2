import { type CompiledChain, chainInvalid, checkAgentModels, loadChain } from '@flotilla/chain';
import { type RouterConfig, flotillaConfigOf } from '@flotilla/router';

/** The flags `run` and `validate` share: what a chain is loaded and checked with. */
export const CHAIN_FLAGS = {
  config: { type: 'string' },
  backend: { type: 'string' },
  'model-alias': { type: 'string', multiple: true },
  'allow-dir': { type: 'string', multiple: true },
} as const;

export const CHAIN_FLAGS_USAGE = `  --config <file>         a fleet configuration (@flotilla/router); wins over --backend (env FLOTILLA_CONFIG)
  --model-alias from=to   model id -> local model, for .prompt files (repeatable)
  --allow-dir <dir>       a folder file: references may point into besides the chain's own (repeatable)`;

export interface PrepareChainOptions {
  modelAliases?: Record<string, string>;
  allowDirs?: readonly string[];
  /** The fleet the run would use (its agents section gives models); none for a single backend. */
  fleet?: RouterConfig;
  /**
   * The tool names agents may use, or a function asked with the names the chain's agents use
   * (it opens what provides them: tool modules, the MCP servers those names need) that returns
   * the known ones. Every name is then checked where the file writes it, with the closest
   * known name. @default none known: an agent with tools is refused
   */
  tools?: readonly string[] | ((named: readonly string[]) => Promise<readonly string[]>);
}

/**
 * Loads a chain and checks everything `run` checks before its first model call: the file
 * (schema, references, templates, `file:` containment, .prompt front matter and sampling
 * values), and that every agent resolves to a model under the configuration. `validate`
 * calls exactly this, so it refuses what `run` with the same options refuses.
 */
export async function prepareChain(file: string, options: PrepareChainOptions): Promise<CompiledChain> {
  const load = { modelAliases: options.modelAliases, allowDirs: options.allowDirs };
  let compiled = await loadChain(file, load);
  const named = [...new Set(compiled.agents.flatMap((a) => (a.tools ?? []).filter((t): t is string => typeof t === 'string')))];
  const known = typeof options.tools === 'function' ? await options.tools(named) : (options.tools ?? []);
  // Loaded again only to say where an unknown name is written (and the closest known one).
  if (named.some((n) => !known.includes(n))) compiled = await loadChain(file, { ...load, tools: known });
  const problems = checkAgentModels(compiled, options.fleet ? flotillaConfigOf(options.fleet) : undefined);
  if (problems.length > 0) throw chainInvalid([...problems, ...compiled.warnings]);
  return compiled;
}
