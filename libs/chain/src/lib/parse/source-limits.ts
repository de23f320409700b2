/** Bounds on what the parser accepts: hostile or runaway input is refused before it costs much. */
export interface SourceLimits {
  /** Largest file, in bytes. @default 1_048_576 (1 MiB) */
  maxBytes?: number;
  /** Deepest nesting of mappings and sequences. @default 64 */
  maxDepth?: number;
  /** Most alias (`*name`) expansions, counted the way `yaml` counts them (anchor bombs). @default 100 */
  maxAliasCount?: number;
  /** Most YAML nodes in the file. @default 50_000 */
  maxNodes?: number;
}

export const DEFAULT_MAX_BYTES = 1_048_576;
export const DEFAULT_MAX_DEPTH = 64;
export const DEFAULT_MAX_ALIAS_COUNT = 100;
export const DEFAULT_MAX_NODES = 50_000;

export type ResolvedSourceLimits = Required<SourceLimits>;

export function resolveSourceLimits(limits: SourceLimits = {}): ResolvedSourceLimits {
  return {
    maxBytes: limits.maxBytes ?? DEFAULT_MAX_BYTES,
    maxDepth: limits.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxAliasCount: limits.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT,
    maxNodes: limits.maxNodes ?? DEFAULT_MAX_NODES,
  };
}
