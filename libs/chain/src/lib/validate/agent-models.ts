import { type FlotillaConfig, FlotillaError, readAgentMetadata, resolveModel } from '@flotilla/core';
import type { ChainDiagnostic } from '../parse/chain-diagnostic';
import type { CompiledChain } from '../load-chain';

/**
 * Every agent a step calls resolves to a model under `config` (the fleet file's agents
 * section, defaults), the same resolution the engine makes at the agent's first call: a
 * chain that would fail there is refused before the run starts, and `flotilla validate`
 * with the same configuration refuses it too.
 */
export function checkAgentModels(compiled: Pick<CompiledChain, 'agents' | 'agentPositions' | 'file'>, config: FlotillaConfig = {}): ChainDiagnostic[] {
  const out: ChainDiagnostic[] = [];
  for (const agent of compiled.agents) {
    const descriptor = readAgentMetadata(agent);
    try {
      resolveModel(descriptor, config);
    } catch (e) {
      if (!FlotillaError.is(e, 'config')) throw e;
      const at = compiled.agentPositions[descriptor.name] ?? { file: compiled.file, line: 1, col: 1 };
      out.push({
        ...at,
        severity: 'error',
        code: 'noModel',
        message: `agent "${descriptor.name}" has no model: none is declared for it, and the configuration gives none`,
        hint: `add model: <a model of your fleet> to the agent (or to its .prompt front matter), or agents.${descriptor.name}.model to the fleet configuration (--config)`,
      });
    }
  }
  return out;
}
