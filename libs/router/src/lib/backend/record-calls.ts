import type { ModelClient } from '@flotilla/core';
import { FixtureModelClient } from '@flotilla/adapter-fixture';

/**
 * A client recording every call of a live one into a cassette. It owns the live client:
 * closing it (as `createFlotilla` does) closes the live one. Loaded for recording only,
 * like every adapter.
 */
export function recordCalls(live: ModelClient, cassette: string, source: string): ModelClient {
  return new FixtureModelClient({ cassette, mode: 'record', inner: live, source });
}
