import type { ServiceIdentifier } from 'inversify';
import type { ModelClient } from '../model/model-client.interface';
import type { FlotillaAgent } from '../agents/agent-options';
import type { FlotillaConfig } from './flotilla-config';
import type { ChainEngine } from '../engine/chain-engine';

/** Every DI token of @flotilla/core. */
export const TOKENS = {
  ModelClient: Symbol.for('@flotilla/core/ModelClient') as ServiceIdentifier<ModelClient>,
  Config: Symbol.for('@flotilla/core/Config') as ServiceIdentifier<FlotillaConfig>,
  /** Multi-bound: every agent the engine can run. */
  Agent: Symbol.for('@flotilla/core/Agent') as ServiceIdentifier<FlotillaAgent<never, unknown>>,
  ChainEngine: Symbol.for('@flotilla/core/ChainEngine') as ServiceIdentifier<ChainEngine>,
} as const;
