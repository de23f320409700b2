/**
 * A new run id: a time-ordered UUID (version 7: 48 bits of Unix milliseconds, then random
 * bits), unique across processes and machines and sortable by start time.
 */
export function newRunId(now = Date.now()): string {
  const random = globalThis.crypto.randomUUID();
  const ms = now.toString(16).padStart(12, '0');
  return `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7${random.slice(15, 18)}-${random.slice(19)}`;
}
