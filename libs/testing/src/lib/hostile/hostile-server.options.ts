/**
 * How a hostile server misbehaves:
 * - `blackHole`: accepts the connection and never writes a byte (nor closes).
 * - `headersThenSilence`: answers `200` with the format's content type, then nothing more.
 * - `trickle`: answers `200`, then sends its body one byte every `intervalMs`.
 * - `resetAfter`: answers `200`, sends `bytes` body bytes, then resets the connection (RST).
 * - `garbage`: answers with bytes that are not HTTP at all, then closes.
 */
export const HOSTILE_MODES = ['blackHole', 'headersThenSilence', 'trickle', 'resetAfter', 'garbage'] as const;
export type HostileMode = (typeof HOSTILE_MODES)[number];

/**
 * What the body looks like once headers are out: `ndjson` an Ollama chat stream,
 * `sse` an OpenAI chat-completions stream, `json` a JSON document that never ends.
 */
export type HostileFormat = 'ndjson' | 'sse' | 'json';

export interface HostileServerOptions {
  mode: HostileMode;
  /** @default 'ndjson' */
  format?: HostileFormat;
  /** `trickle`: milliseconds between body bytes. @default 60000 (one byte a minute) */
  intervalMs?: number;
  /** `resetAfter`: body bytes sent before the reset. @default 16 */
  bytes?: number;
  /**
   * Only requests for these paths (exact, without the query) are treated with `mode`; others
   * go to `upstream`, or get `404 {"error":"not found"}` without one. Without `paths`,
   * `blackHole` never even reads the request.
   * @default every path
   */
  paths?: readonly string[];
  /**
   * A real server (`http://host:port`) that answers the requests outside `paths`: a server
   * whose probes and metadata answer while its chat misbehaves.
   */
  upstream?: string;
  /** @default 0 (any free port) */
  port?: number;
}

export const DEFAULT_TRICKLE_INTERVAL_MS = 60_000;
export const DEFAULT_RESET_AFTER_BYTES = 16;
