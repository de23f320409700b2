import type { AgentDescriptor } from '../agents/agent-metadata';
import type { FlotillaConfig } from '../di/flotilla-config';
import { Errors } from '../errors/errors';

/**
 * Which model an agent gets, in one order: configuration (`agents.<name>.model`), then
 * the agent's `@Agent({ model })`, then the defaults (per role, then global).
 */
export function resolveModel(agent: AgentDescriptor, config: FlotillaConfig): string {
  const model =
    config.agents?.[agent.name]?.model ?? agent.model ?? config.defaults?.roles?.[agent.role] ?? config.defaults?.model;
  if (!model) {
    throw Errors.config(
      `agent "${agent.name}"`,
      `a model: set agents.${agent.name}.model in the configuration, @Agent({ model }), or defaults.roles.${agent.role}`,
    );
  }
  return model;
}
