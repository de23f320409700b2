import { FlotillaError, numberFlag, parseFlags } from '@flotilla/core';
import { type EndpointConfig, type ListedModel, backendEndpoints, chooseBackend, endpointKinds, endpointLabel, listEndpointModels } from '@flotilla/router';
import { backendSpec, kindsUsage } from './backend';
import type { CliIo } from './cli-io';
import { EXIT } from './exit-codes';
import { oneOf } from './flags';

/** How long each endpoint has to answer `flotilla models` unless --timeout-ms says otherwise. */
export const DEFAULT_MODELS_TIMEOUT_MS = 5_000;
/** What `models` lists when nothing names a backend. */
const DEFAULT_KIND = 'ollama';

export const MODELS_USAGE = `flotilla models [--backend <kind>] [--host <url>] [--config <file>] [--cassette <file>] [--gguf name=path] [--timeout-ms <ms>] [--format text|json]

Lists each endpoint with its available models and which are loaded now. With --config (or
FLOTILLA_CONFIG), every endpoint of the fleet; else one endpoint of --backend
${kindsUsage(DEFAULT_KIND)} (env FLOTILLA_BACKEND). Each kind lists its own way:
${endpointKinds
  .keys()
  .map((name) => `  ${name.padEnd(12)}${endpointKinds.get(name).description}`)
  .join('\n')}
Each endpoint has --timeout-ms to answer (default ${DEFAULT_MODELS_TIMEOUT_MS}); one that does
not is listed as not answering.
Exit codes: 0 listed, 2 bad usage, 3 no endpoint answered.
`;

export type ModelEntry = ListedModel;

export interface EndpointListing {
  endpoint: string;
  kind: string;
  reachable: boolean;
  error?: string;
  /** It did not answer within --timeout-ms. */
  timedOut?: boolean;
  models: ModelEntry[];
}

export async function modelsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(
    'flotilla models',
    argv,
    {
      backend: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      cassette: { type: 'string', multiple: true },
      gguf: { type: 'string', multiple: true },
      'timeout-ms': { type: 'string' },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    false,
  );
  if (values.help) {
    io.stdout.write(MODELS_USAGE);
    return EXIT.ok;
  }
  const json = oneOf('--format', values.format ?? 'text', ['text', 'json'] as const) === 'json';
  const timeoutMs = values['timeout-ms'] === undefined ? DEFAULT_MODELS_TIMEOUT_MS : numberFlag('--timeout-ms', values['timeout-ms'], { integer: true });
  const spec = backendSpec(values, io, { defaultKind: DEFAULT_KIND });
  const endpoints = backendEndpoints(spec, chooseBackend(spec)!);
  const listings = await Promise.all(endpoints.map((e) => listEndpoint(e, io, timeoutMs)));
  if (json) io.stdout.write(`${JSON.stringify({ endpoints: listings })}\n`);
  else io.stdout.write(render(listings));
  return listings.some((l) => l.reachable) ? EXIT.ok : EXIT.unavailable;
}

/**
 * One endpoint's listing, as its kind lists it. Its calls have `timeoutMs` in all (each
 * metadata call, and the listing as a whole): a silent server is reported as not
 * answering, never waited for.
 */
async function listEndpoint(e: EndpointConfig, io: CliIo, timeoutMs: number): Promise<EndpointListing> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = io.signal ? AbortSignal.any([io.signal, deadline]) : deadline;
  const where = endpointLabel(e);
  try {
    const models = await listEndpointModels(e, { env: io.env, signal, timeoutMs });
    return { endpoint: where, kind: e.kind, reachable: true, models };
  } catch (err) {
    // A mistake on our side of the wire (flags, files) stops the command; anything a server said is its listing.
    if (FlotillaError.is(err, 'config') && err.details['endpoint'] === undefined) throw err;
    if (deadline.aborted && !io.signal?.aborted) return { endpoint: where, kind: e.kind, reachable: false, timedOut: true, error: `not answering within ${timeoutMs} ms`, models: [] };
    if (FlotillaError.is(err, 'timeout')) return { endpoint: where, kind: e.kind, reachable: false, timedOut: true, error: `not answering within ${timeoutMs} ms (${err.message})`, models: [] };
    return { endpoint: where, kind: e.kind, reachable: false, error: FlotillaError.is(err) ? `${err.kind}: ${err.message}` : String(err), models: [] };
  }
}

function render(listings: EndpointListing[]): string {
  const out: string[] = [];
  for (const l of listings) {
    out.push(`${l.endpoint}${l.reachable ? '' : l.timedOut ? ` — ${l.error}` : ` — unreachable: ${l.error}`}`);
    if (l.reachable && l.models.length === 0) out.push('  (no models)');
    for (const m of l.models) {
      const size = m.sizeBytes ? `${(m.sizeBytes / 1e9).toFixed(1)} GB` : '';
      out.push(`  ${m.loaded ? '●' : '○'} ${m.name.padEnd(32)} ${size.padStart(8)}  ${m.details ?? ''}`.trimEnd());
    }
  }
  out.push('', '● loaded  ○ available', '');
  return out.join('\n');
}
