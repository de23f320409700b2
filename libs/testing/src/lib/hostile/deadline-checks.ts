import { FlotillaError } from '@flotilla/core';
import { HostileServer } from './hostile.server';
import type { HostileServerOptions } from './hostile-server.options';

/** What a call under test did: its error (undefined when it resolved), its value, and how long it took. */
export interface TimedCall {
  error: unknown;
  value: unknown;
  ms: number;
}

/** Runs `call` and times it, never throwing: the error is returned. */
export async function timed(call: () => Promise<unknown>): Promise<TimedCall> {
  const started = performance.now();
  let value: unknown;
  const error = await call().then(
    (v) => void (value = v),
    (e: unknown) => e,
  );
  return { error, value, ms: performance.now() - started };
}

/**
 * The servers that say nothing useful until a deadline cuts them off, as `[title, options]`
 * rows for `describe.each`: a black hole, headers then silence, a JSON body trickled a byte
 * every 50 ms.
 */
export const SILENT_HOSTILE_SERVERS: readonly (readonly [string, HostileServerOptions])[] = [
  ['a black hole', { mode: 'blackHole' }],
  ['headers, then silence', { mode: 'headersThenSilence', format: 'json' }],
  ['a body trickled one byte every 50 ms', { mode: 'trickle', format: 'json', intervalMs: 50 }],
];

/**
 * Starts HostileServers for the enclosing describe block and closes them all after it (jest's
 * afterAll): call in a describe body; the function it returns starts one server.
 */
export function hostileServersForSuite(): (options: HostileServerOptions) => Promise<HostileServer> {
  const servers: HostileServer[] = [];
  afterAll(() => Promise.all(servers.map((s) => s.close())));
  return async (options) => {
    const s = await HostileServer.start(options);
    servers.push(s);
    return s;
  };
}

/**
 * Checks that a call `timed` ran failed with a retryable `timeout` FlotillaError whose details
 * name the endpoint, the path and the limit, whose message names the endpoint, and that it took
 * at least the limit (5 ms of timer slack) and less than twice the limit.
 */
export function expectDeadlineTimeout(result: TimedCall, expected: { endpoint: string; path: string; limitMs: number }): void {
  const { error, ms } = result;
  expect(FlotillaError.is(error, 'timeout')).toBe(true);
  expect(error).toMatchObject({ retryable: true, details: expected });
  expect((error as Error).message).toContain(expected.endpoint);
  expect(ms).toBeGreaterThanOrEqual(expected.limitMs - 5);
  expect(ms).toBeLessThan(2 * expected.limitMs);
}
