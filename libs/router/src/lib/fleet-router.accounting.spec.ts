import { type ChatEvent, FlotillaError } from '@flotilla/core';
import fc from 'fast-check';
import type { Subscription } from 'rxjs';
import { ManualModelClient, type ManualCall } from '../spec/manual.model-client';
import { EndpointSchema } from './config/router-config.schema';
import { EndpointState } from './endpoints/endpoint-state';
import { FleetRouter } from './fleet-router';

// The router's counters (queued calls per model, in-flight calls per endpoint and model)
// under random interleavings of arrivals, dispatches, completions, cancellations, failures
// and outages: they never drift from what is really waiting and running, never go negative,
// and are back to zero once everything has ended; and after an outage a new call is sent.

const MODELS = ['a:1b', 'b:1b'];

type Op =
  | { op: 'enqueue'; model: number; priority: number }
  | { op: 'complete'; pick: number }
  | { op: 'failBeforeToken'; pick: number }
  | { op: 'failMidStream'; pick: number }
  | { op: 'cancel'; pick: number }
  | { op: 'outage'; endpoint: number }
  | { op: 'recover'; endpoint: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('enqueue' as const), model: fc.nat(1), priority: fc.integer({ min: 0, max: 2 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('complete' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('failBeforeToken' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('failMidStream' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('cancel' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('outage' as const), endpoint: fc.nat(1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('recover' as const), endpoint: fc.nat(1) }) },
);

interface Caller {
  sub: Subscription;
  ended: boolean;
  events: ChatEvent[];
}

function setup() {
  const clients = [new ManualModelClient('e0'), new ManualModelClient('e1')];
  const endpoints = clients.map(
    (client, i) =>
      new EndpointState(EndpointSchema.parse({ name: `e${i}`, kind: 'fixture', cassettes: ['unused.json'], slots: i + 1, maxLoadedModels: 2 }), client, {}, { failureThreshold: 1_000 }),
  );
  const router = new FleetRouter({ endpoints, routing: { maxQueueMs: 3_600_000 } });
  const callers: Caller[] = [];
  const openCalls = (): { client: ManualModelClient; call: ManualCall }[] => clients.flatMap((client) => client.open.map((call) => ({ client, call })));

  const check = () => {
    const waiting = callers.filter((c) => !c.ended).length - openCalls().length;
    expect(router.queued).toBe(waiting);
    for (const [i, e] of endpoints.entries()) {
      const running = clients[i]!.open;
      expect(e.inFlight).toBe(running.length);
      for (const m of MODELS) expect(e.inFlightFor(m)).toBe(running.filter((c) => c.request.model === m).length);
      expect(e.inFlight).toBeLessThanOrEqual(e.slots * MODELS.length);
    }
  };

  const apply = (o: Op) => {
    const open = openCalls();
    const live = callers.filter((c) => !c.ended);
    switch (o.op) {
      case 'enqueue': {
        const caller: Caller = { sub: undefined as unknown as Subscription, ended: false, events: [] };
        callers.push(caller);
        caller.sub = router.chat({ model: MODELS[o.model]!, messages: [{ role: 'user', content: 'hi' }] }, { priority: o.priority }).subscribe({
          next: (e) => caller.events.push(e),
          error: () => (caller.ended = true),
          complete: () => (caller.ended = true),
        });
        break;
      }
      case 'complete':
        if (open.length) {
          const { client, call } = open[o.pick % open.length]!;
          client.complete(call);
        }
        break;
      case 'failBeforeToken':
      case 'failMidStream':
        if (open.length) {
          const { client, call } = open[o.pick % open.length]!;
          if (o.op === 'failMidStream') client.token(call);
          client.fail(call, new FlotillaError('unavailable', 'broke', { details: { code: o.op === 'failBeforeToken' ? 'ECONNRESET' : undefined } }));
        }
        break;
      case 'cancel':
        if (live.length) {
          const caller = live[o.pick % live.length]!;
          caller.ended = true;
          caller.sub.unsubscribe();
        }
        break;
      case 'outage':
        endpoints[o.endpoint]!.breaker.trip();
        router.pump();
        break;
      case 'recover':
        endpoints[o.endpoint]!.breaker.success();
        router.pump();
        break;
    }
  };
  return { clients, endpoints, router, callers, check, apply, openCalls };
}

describe('FleetRouter accounting (property)', () => {
  it('queue and in-flight counts match what is waiting and running after every step, and return to zero', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => {
        const t = setup();
        for (const o of ops) {
          t.apply(o);
          t.check();
        }
        // Drain: recover everything, finish what runs, cancel what waits.
        for (const e of t.endpoints) e.breaker.success();
        t.router.pump();
        for (let guard = 0; guard < 1_000 && t.openCalls().length; guard++) {
          const { client, call } = t.openCalls()[0]!;
          client.complete(call);
          t.check();
        }
        for (const c of t.callers.filter((x) => !x.ended)) {
          c.ended = true;
          c.sub.unsubscribe();
        }
        t.check();
        expect(t.router.queued).toBe(0);
        for (const e of t.endpoints) expect(e.inFlight).toBe(0);
        // And the router still sends work: one new call per model goes out at once.
        const before = t.clients.reduce((n, c) => n + c.calls.length, 0);
        for (const m of [0, 1]) t.apply({ op: 'enqueue', model: m, priority: 0 });
        expect(t.clients.reduce((n, c) => n + c.calls.length, 0)).toBe(before + 2);
        for (const c of t.callers.filter((x) => !x.ended)) c.sub.unsubscribe();
      }),
      { numRuns: 300 },
    );
  });

  it('after an outage that failed every queued call, later calls are sent (regression: a count that went negative)', () => {
    const t = setup();
    for (let i = 0; i < 6; i++) t.apply({ op: 'enqueue', model: 0, priority: 0 });
    expect(t.router.queued).toBe(3); // slots 1 + 2 running
    t.apply({ op: 'outage', endpoint: 0 });
    t.apply({ op: 'outage', endpoint: 1 });
    expect(t.router.queued).toBe(0);
    expect(t.callers.filter((c) => c.ended)).toHaveLength(3);
    for (const { client, call } of t.openCalls()) client.complete(call);
    t.apply({ op: 'recover', endpoint: 0 });
    t.apply({ op: 'recover', endpoint: 1 });
    t.apply({ op: 'enqueue', model: 0, priority: 0 });
    expect(t.clients.reduce((n, c) => n + c.open.length, 0)).toBe(1);
    expect(t.router.queued).toBe(0);
    t.check();
  });
});
