import { injectable } from 'inversify';
import { METADATA_KEYS } from './metadata-keys';
import type { AgentOptions } from './agent-options';

/**
 * Marks a class as an agent. It only records metadata (and makes the class injectable);
 * the engine reads the metadata when it runs the agent.
 */
export function Agent<O = unknown>(options: AgentOptions<O>): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(METADATA_KEYS.agent, options, target);
    injectable()(target as unknown as abstract new (...args: never[]) => unknown);
  };
}
