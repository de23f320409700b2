import type { ModelClient } from '@flotilla/core';

/** Lets go of what a client holds, when it holds anything (its own `close()`, as `createFlotilla` calls it). */
export async function closeClient(client: ModelClient): Promise<void> {
  await (client as ModelClient & { close?(): Promise<void> | void }).close?.();
}
