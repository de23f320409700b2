import { FlotillaError } from '@flotilla/core';
import { z } from 'zod';
import type { EndpointKind } from '../endpoint-kind';
import { envList, given } from '../command-line-values';

const FixtureOptionsSchema = z.strictObject({
  pace: z.enum(['instant', 'recorded']).optional().describe('instant (default): every reply at once; recorded: at the recorded timings.'),
  speed: z.number().positive().optional().describe('With pace recorded: how many times faster than recorded (default 1).'),
});
export type FixtureEndpointOptions = z.output<typeof FixtureOptionsSchema>;

/** Recorded cassettes, replayed strictly (`@flotilla/adapter-fixture`). */
export const FIXTURE_KIND: EndpointKind<FixtureEndpointOptions> = {
  name: 'fixture',
  description: 'recorded cassettes, replayed strictly (lists the models recorded in them)',
  fields: { cassettes: { expected: 'cassette files to replay', required: true } },
  options: FixtureOptionsSchema,
  replay: (options) => options.pace ?? 'instant',
  fromCommandLine({ flags, env, defaults }) {
    const cassettes = given(flags.cassettes) ?? envList(env, 'FLOTILLA_CASSETTES') ?? given(defaults.cassettes);
    if (!cassettes) {
      throw new FlotillaError('config', '--backend fixture: no cassettes; pass --cassette <file> (repeatable), set FLOTILLA_CASSETTES=a.json,b.json, or choose another --backend', {
        details: { kind: 'fixture', field: 'cassettes' },
      });
    }
    return { cassettes: [...cassettes] };
  },
  create: (endpoint, context) => fixtureEndpoint().createFixtureEndpoint(endpoint, context),
  listModels: (endpoint) => fixtureEndpoint().listFixtureModels(endpoint),
  label: (endpoint) => `fixture ${endpoint.cassettes?.length ?? 0} cassette(s)`,
};

function fixtureEndpoint(): typeof import('./fixture.endpoint') {
  // Loaded when an endpoint of this kind is made, like every adapter.
  return require('./fixture.endpoint');
}
