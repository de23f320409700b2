import type { Container } from 'inversify';
import { TOKENS } from '@flotilla/core';
import type { CompiledChain } from './load-chain';

/** Binds a compiled chain's agent classes on a Flotilla container (before the engine is first resolved). */
export function bindChain(container: Container, compiled: Pick<CompiledChain, 'agents'>): void {
  for (const agent of compiled.agents) container.bind(TOKENS.Agent).to(agent as unknown as new () => never).inSingletonScope();
}
