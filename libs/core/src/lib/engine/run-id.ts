let prefixMs = -1;
let prefix = '';

/**
 * A new run id: a time-ordered UUID (version 7: 48 bits of Unix milliseconds, then random
 * bits), unique across processes and machines and sortable by start time. The random part
 * is a version-4 UUID's (its 74 random bits, variant included); the time part is formatted
 * once per millisecond.
 */
export function newRunId(now = Date.now()): string {
  if (now !== prefixMs) {
    const ms = now.toString(16).padStart(12, '0');
    prefix = `${ms.slice(0, 8)}-${ms.slice(8, 12)}-7`;
    prefixMs = now;
  }
  // randomUUID(): xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx; from index 15: "xxx-yxxx-xxxxxxxxxxxx".
  return prefix + globalThis.crypto.randomUUID().slice(15);
}
