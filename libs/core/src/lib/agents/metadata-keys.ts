import 'reflect-metadata';

/** Every reflect-metadata key Flotilla writes, in one place. */
export const METADATA_KEYS = {
  agent: Symbol.for('@flotilla/core:agent'),
} as const;
