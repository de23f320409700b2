import type { ServiceIdentifier } from 'inversify';
import type { ModelClient } from '../model/model-client.interface';
import type { FlotillaConfig } from './flotilla-config';
import type { AgentFactory, ChainEngine } from '../engine/chain-engine';

/** Every DI token of @flotilla/core (the wiring inside `createFlotilla`). */
export const TOKENS = {
  ModelClient: Symbol.for('@flotilla/core/ModelClient') as ServiceIdentifier<ModelClient>,
  Config: Symbol.for('@flotilla/core/Config') as ServiceIdentifier<FlotillaConfig>,
  /** Makes instances of `@Agent` classes through the container. */
  AgentFactory: Symbol.for('@flotilla/core/AgentFactory') as ServiceIdentifier<AgentFactory>,
  ChainEngine: Symbol.for('@flotilla/core/ChainEngine') as ServiceIdentifier<ChainEngine>,
} as const;
