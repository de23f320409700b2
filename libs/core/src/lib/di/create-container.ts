import { Container } from 'inversify';
import type { AgentClass } from '../agents/agent-options';
import type { ModelClient } from '../model/model-client.interface';
import { ChainEngine } from '../engine/chain-engine';
import type { FlotillaConfig } from './flotilla-config';
import { TOKENS } from './tokens';

export interface FlotillaContainerOptions {
  client: ModelClient;
  config?: FlotillaConfig;
  /** Agent classes to bind under `TOKENS.Agent`; more can be bound on the container later. */
  agents?: readonly AgentClass[];
}

/**
 * A container with the model client, configuration, agents and engine bound. Agents
 * can also be added afterwards with `container.bind(TOKENS.Agent).to(MyAgent)`, before
 * the engine is first resolved.
 */
export function createFlotillaContainer(options: FlotillaContainerOptions): Container {
  const container = new Container();
  container.bind(TOKENS.ModelClient).toConstantValue(options.client);
  container.bind(TOKENS.Config).toConstantValue(options.config ?? {});
  for (const agent of options.agents ?? []) {
    container.bind(TOKENS.Agent).to(agent as unknown as new () => never).inSingletonScope();
  }
  container.bind(TOKENS.ChainEngine).to(ChainEngine).inSingletonScope();
  return container;
}
