import { FlotillaError, numberFlag, parseFlags, urlFlag } from '@flotilla/core';
import { loadCassette } from '@flotilla/adapter-fixture';
import { OllamaModelClient } from '@flotilla/adapter-ollama';
import { OpenAICompatibleModelClient } from '@flotilla/adapter-openai';
import { LlamaCppModelClient } from '@flotilla/adapter-llama-cpp';
import { type EndpointConfig, resolveRouterConfig } from '@flotilla/router';
import { BACKENDS, type BackendKind } from './backend';
import type { CliIo } from './cli-io';
import { EXIT } from './exit-codes';
import { oneOf, parsePairs } from './flags';

/** How long each endpoint has to answer `flotilla models` unless --timeout-ms says otherwise. */
export const DEFAULT_MODELS_TIMEOUT_MS = 5_000;

export const MODELS_USAGE = `flotilla models [--backend <name>] [--host <url>] [--config <file>] [--cassette <file>] [--gguf name=path] [--timeout-ms <ms>] [--format text|json]

Lists each endpoint with its available models and which are loaded now (ollama: /api/tags
and /api/ps; openai: /v1/models, with the key from the endpoint's apiKeyEnv; llama-cpp: the
configured GGUF files; fixture: the models recorded in the cassettes). With --config (or
FLOTILLA_CONFIG), every endpoint of the fleet. Each endpoint has --timeout-ms to answer
(default ${DEFAULT_MODELS_TIMEOUT_MS}); one that does not is listed as not answering.
Exit codes: 0 listed, 2 bad usage, 3 no endpoint answered.
`;

export interface ModelEntry {
  name: string;
  loaded: boolean;
  sizeBytes?: number;
  details?: string;
}

export interface EndpointListing {
  endpoint: string;
  kind: BackendKind;
  reachable: boolean;
  error?: string;
  /** It did not answer within --timeout-ms. */
  timedOut?: boolean;
  models: ModelEntry[];
}

type Listable = Pick<EndpointConfig, 'name' | 'url' | 'apiKeyEnv'> & { kind: BackendKind; cassettes?: readonly string[]; modelPaths?: Record<string, string> };

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
  const host = values.host === undefined ? undefined : urlFlag('--host', values.host);
  const fleet = values.config || !values.backend ? resolveRouterConfig({ file: values.config, env: io.env }) : undefined;
  const endpoints: Listable[] = fleet?.endpoints ?? [
    {
      name: values.backend ?? 'ollama',
      kind: oneOf('--backend', values.backend ?? 'ollama', BACKENDS),
      url: host,
      cassettes: values.cassette,
      modelPaths: parsePairs('--gguf', values.gguf),
    },
  ];
  const listings = await Promise.all(endpoints.map((e) => listEndpoint(e, io, timeoutMs)));
  if (json) io.stdout.write(`${JSON.stringify({ endpoints: listings })}\n`);
  else io.stdout.write(render(listings));
  return listings.some((l) => l.reachable) ? EXIT.ok : EXIT.unavailable;
}

/** A server address from the environment, checked like --host (the message names the variable). */
function fromEnv(io: CliIo, name: string): string | undefined {
  const value = io.env[name];
  return value ? urlFlag(name, value) : undefined;
}

/**
 * One endpoint's listing. Its calls have `timeoutMs` in all (each metadata call, and the
 * listing as a whole): a silent server is reported as not answering, never waited for.
 */
async function listEndpoint(e: Listable, io: CliIo, timeoutMs: number): Promise<EndpointListing> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = io.signal ? AbortSignal.any([io.signal, deadline]) : deadline;
  const closers: (() => Promise<void>)[] = [];
  let where = `${e.kind} ${e.url ?? e.name}`;
  try {
    switch (e.kind) {
      case 'ollama': {
        const client = new OllamaModelClient({ host: e.url ?? fromEnv(io, 'OLLAMA_HOST'), metadataTimeoutMs: timeoutMs });
        closers.push(() => client.close());
        where = `ollama ${client.endpoint}`;
        const [models, loaded] = await Promise.all([client.listModels({ signal }), client.loadedModels({ signal })]);
        const byName = new Map(loaded.map((l) => [l.name, l]));
        const entries: ModelEntry[] = models.map((m) => {
          const l = byName.get(m.name);
          const bits = [m.parameterSize, m.quantization].filter(Boolean);
          if (l) bits.push(`loaded${l.contextLength ? `, num_ctx ${l.contextLength}` : ''}${l.sizeVramBytes < l.sizeBytes ? ', partly on CPU' : ''}, until ${l.expiresAt.toISOString()}`);
          return { name: m.name, loaded: Boolean(l), sizeBytes: m.sizeBytes, details: bits.join(', ') || undefined };
        });
        for (const l of loaded) if (!models.some((m) => m.name === l.name)) entries.push({ name: l.name, loaded: true, sizeBytes: l.sizeBytes });
        return { endpoint: where, kind: e.kind, reachable: true, models: entries };
      }
      case 'openai': {
        // Each endpoint's own key variable (apiKeyEnv), never another endpoint's.
        const client = new OpenAICompatibleModelClient({ baseURL: e.url ?? fromEnv(io, 'OPENAI_BASE_URL'), apiKeyEnv: e.apiKeyEnv, env: io.env, metadataTimeoutMs: timeoutMs });
        closers.push(() => client.close());
        where = `openai ${client.endpoint}`;
        const models = await client.listModels({ signal });
        return {
          endpoint: where,
          kind: e.kind,
          reachable: true,
          models: models.map((m) => ({ name: m.id, loaded: false, details: m.contextLength ? `context ${m.contextLength}` : undefined })),
        };
      }
      case 'llama-cpp': {
        const paths = e.modelPaths && Object.keys(e.modelPaths).length ? e.modelPaths : undefined;
        if (!paths) throw new FlotillaError('config', 'llama-cpp: no models; pass --gguf name=path.gguf');
        const client = new LlamaCppModelClient({ models: paths });
        const status = client.status();
        await client.close();
        return {
          endpoint: `llama-cpp ${e.name} (embedded)`,
          kind: e.kind,
          reachable: true,
          models: status.map((s) => ({ name: s.name, loaded: s.loaded, details: `${s.path}, ${s.slots} slot(s)` })),
        };
      }
      case 'fixture': {
        const files = e.cassettes ?? [];
        if (files.length === 0) throw new FlotillaError('config', 'fixture: no cassettes; pass --cassette <file>');
        const counts = new Map<string, number>();
        for (const f of files) for (const entry of Object.values(loadCassette(f).entries)) counts.set(entry.request.model, (counts.get(entry.request.model) ?? 0) + 1);
        return {
          endpoint: `fixture ${files.length} cassette(s)`,
          kind: e.kind,
          reachable: true,
          models: [...counts].sort().map(([name, n]) => ({ name, loaded: false, details: `${n} recorded call(s)` })),
        };
      }
    }
  } catch (err) {
    // A mistake on our side of the wire (flags, files) stops the command; anything a server said is its listing.
    if (FlotillaError.is(err, 'config') && err.details['endpoint'] === undefined) throw err;
    if (deadline.aborted && !io.signal?.aborted) return { endpoint: where, kind: e.kind, reachable: false, timedOut: true, error: `not answering within ${timeoutMs} ms`, models: [] };
    if (FlotillaError.is(err, 'timeout')) return { endpoint: where, kind: e.kind, reachable: false, timedOut: true, error: `not answering within ${timeoutMs} ms (${err.message})`, models: [] };
    return { endpoint: where, kind: e.kind, reachable: false, error: FlotillaError.is(err) ? `${err.kind}: ${err.message}` : String(err), models: [] };
  } finally {
    await Promise.all(closers.map((c) => c()));
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
