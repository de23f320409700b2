// @flotilla/nx-plugin: generators for agents, adapters and chains.
export { agentGenerator } from './generators/agent/generator';
export type { AgentGeneratorSchema } from './generators/agent/options';
export { adapterGenerator } from './generators/adapter/generator';
export type { AdapterGeneratorSchema } from './generators/adapter/options';
export { chainGenerator } from './generators/chain/generator';
export type { ChainGeneratorSchema } from './generators/chain/options';
