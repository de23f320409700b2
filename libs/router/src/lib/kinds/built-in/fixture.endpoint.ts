import { FixtureModelClient, loadCassette } from '@flotilla/adapter-fixture';
import type { EndpointConfig } from '../../config/router-config.schema';
import type { EndpointClient, EndpointContext, ListedModel } from '../endpoint-kind';
import type { FixtureEndpointOptions } from './fixture.endpoint-kind';

export function createFixtureEndpoint(e: EndpointConfig, { options }: EndpointContext<FixtureEndpointOptions>): EndpointClient {
  const files = e.cassettes!;
  return {
    client: new FixtureModelClient({ cassette: files, name: `fixture:${e.name}`, pace: options.pace, speed: options.speed }),
    describe() {
      // Reading the cassettes here also refuses a missing or broken one before the run starts.
      const notes = [...new Set(files.map((f) => loadCassette(f).note).filter(Boolean))];
      return `fixture: replaying ${files.length} cassette(s) at ${options.pace ?? 'instant'} pace${notes.length ? ` (${notes.join('; ')})` : ''}`;
    },
  };
}

/** The models recorded in the cassettes, with how many calls each. */
export async function listFixtureModels(e: EndpointConfig): Promise<ListedModel[]> {
  const counts = new Map<string, number>();
  for (const f of e.cassettes!) for (const entry of Object.values(loadCassette(f).entries)) counts.set(entry.request.model, (counts.get(entry.request.model) ?? 0) + 1);
  return [...counts].sort().map(([name, n]) => ({ name, loaded: false, details: `${n} recorded call(s)` }));
}
