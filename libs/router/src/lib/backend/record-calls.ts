import type { ModelClient } from '@flotilla/core';
import { FixtureModelClient } from '@flotilla/adapter-fixture';
import { closeClient } from '../endpoints/close-client';

/**
 * A FixtureModelClient recording every call of a live client into a cassette, and owning
 * that client: closing the recorder (as `createFlotilla` does) closes the live one.
 */
export class RecordingClient extends FixtureModelClient {
  constructor(
    private readonly live: ModelClient,
    cassette: string,
    source: string,
  ) {
    super({ cassette, mode: 'record', inner: live, source });
  }

  close(): Promise<void> {
    return closeClient(this.live);
  }
}
