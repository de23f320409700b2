import type { FlotillaConfig } from '@flotilla/core';
import type { RouterConfig } from './router-config.schema';

/**
 * The engine configuration a fleet file brings: its agents section (model per agent; the
 * router handles fallbacks). Known without starting the fleet, so that a chain can be
 * checked against it (`flotilla validate --config`) exactly as a run would use it.
 */
export function flotillaConfigOf(config: RouterConfig): FlotillaConfig {
  return { agents: Object.fromEntries(Object.entries(config.agents).map(([name, a]) => [name, { model: a.model }])) };
}
