import type { ChatEvent, FlotillaError } from '@flotilla/core';
import { ManualModelClient } from '../spec/manual.model-client';
import { userMessage } from '../spec/sim-fleet';
import { EndpointSchema } from './config/router-config.schema';
import { EndpointState } from './endpoints/endpoint-state';
import { FleetRouter } from './fleet-router';

describe('FleetRouter.close()', () => {
  it('fails the queued calls and every later one (unavailable), releases what the fleet holds once', async () => {
    const client = new ManualModelClient('one');
    const endpoint = new EndpointState(EndpointSchema.parse({ name: 'one', kind: 'fixture', cassettes: ['x.json'], slots: 1 }), client);
    let released = 0;
    const router = new FleetRouter({ endpoints: [endpoint], release: async () => void released++ });
    const outcomes: (string | FlotillaError)[] = [];
    const call = (text: string) =>
      router.chat({ model: 'm', messages: userMessage(text) }).subscribe({ next: (e: ChatEvent) => e.type === 'final' && outcomes.push(`${text}: done`), error: (e: FlotillaError) => outcomes.push(e) });
    call('first');
    call('second'); // waits for the one slot
    expect(router.queued).toBe(1);
    const closing = router.close();
    expect(router.close()).toBe(closing);
    await closing;
    expect(released).toBe(1);
    expect(router.queued).toBe(0);
    expect(outcomes).toEqual([expect.objectContaining({ kind: 'unavailable', retryable: false, message: 'fleet(one) is closed' })]);
    // The call in flight is the endpoint client's to end (closing it aborts its connection); here it completes.
    client.complete(client.calls[0]!);
    call('third');
    expect(outcomes.map(String)).toEqual(['FlotillaError: fleet(one) is closed', 'first: done', 'FlotillaError: fleet(one) is closed']);
    expect(client.calls).toHaveLength(1);
  });
});
