import { parseArgs } from 'node:util';
import { FlotillaError } from '@flotilla/core';
import { loadCassette } from '@flotilla/adapter-fixture';
import { OllamaModelClient } from '@flotilla/adapter-ollama';
import { OpenAICompatibleModelClient } from '@flotilla/adapter-openai';
import { LlamaCppModelClient } from '@flotilla/adapter-llama-cpp';
import { type EndpointConfig, resolveRouterConfig } from '@flotilla/router';
import { BACKENDS, type BackendKind } from './backend';
import type { CliIo } from './cli-io';
import { EXIT } from './exit-codes';
import { oneOf, parsePairs } from './flags';

export const MODELS_USAGE = `flotilla models [--backend <name>] [--host <url>] [--config <file>] [--cassette <file>] [--gguf name=path] [--format text|json]

Lists each endpoint with its available models and which are loaded now (ollama: /api/tags
and /api/ps; openai: /v1/models; llama-cpp: the configured GGUF files; fixture: the models
recorded in the cassettes). With --config (or FLOTILLA_CONFIG), every endpoint of the fleet.
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
  models: ModelEntry[];
}

export async function modelsCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      backend: { type: 'string' },
      host: { type: 'string' },
      config: { type: 'string' },
      cassette: { type: 'string', multiple: true },
      gguf: { type: 'string', multiple: true },
      format: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.stdout.write(MODELS_USAGE);
    return EXIT.ok;
  }
  const json = oneOf('--format', values.format ?? 'text', ['text', 'json'] as const) === 'json';
  const fleet = values.config || !values.backend ? resolveRouterConfig({ file: values.config, env: io.env }) : undefined;
  const endpoints: EndpointConfig[] | { kind: BackendKind; url?: string; cassettes?: string[]; modelPaths?: Record<string, string>; name: string }[] =
    fleet?.endpoints ?? [
      {
        name: values.backend ?? 'ollama',
        kind: oneOf('--backend', values.backend ?? 'ollama', BACKENDS),
        url: values.host,
        cassettes: values.cassette,
        modelPaths: parsePairs('--gguf', values.gguf),
      },
    ];
  const listings = await Promise.all(endpoints.map((e) => listEndpoint(e, io)));
  if (json) io.stdout.write(`${JSON.stringify({ endpoints: listings })}\n`);
  else io.stdout.write(render(listings));
  return listings.some((l) => l.reachable) ? EXIT.ok : EXIT.unavailable;
}

async function listEndpoint(e: { name: string; kind: BackendKind; url?: string; cassettes?: readonly string[]; modelPaths?: Record<string, string> }, io: CliIo): Promise<EndpointListing> {
  const signal = io.signal;
  try {
    switch (e.kind) {
      case 'ollama': {
        const client = new OllamaModelClient({ host: e.url ?? io.env['OLLAMA_HOST'] });
        const [models, loaded] = await Promise.all([client.listModels({ signal }), client.loadedModels({ signal })]);
        const byName = new Map(loaded.map((l) => [l.name, l]));
        const entries: ModelEntry[] = models.map((m) => {
          const l = byName.get(m.name);
          const bits = [m.parameterSize, m.quantization].filter(Boolean);
          if (l) bits.push(`loaded${l.contextLength ? `, num_ctx ${l.contextLength}` : ''}${l.sizeVramBytes < l.sizeBytes ? ', partly on CPU' : ''}, until ${l.expiresAt.toISOString()}`);
          return { name: m.name, loaded: Boolean(l), sizeBytes: m.sizeBytes, details: bits.join(', ') || undefined };
        });
        for (const l of loaded) if (!models.some((m) => m.name === l.name)) entries.push({ name: l.name, loaded: true, sizeBytes: l.sizeBytes });
        return { endpoint: `ollama ${client.endpoint}`, kind: e.kind, reachable: true, models: entries };
      }
      case 'openai': {
        const client = new OpenAICompatibleModelClient({ baseURL: e.url ?? io.env['OPENAI_BASE_URL'] });
        const models = await client.listModels({ signal });
        return {
          endpoint: `openai ${client.endpoint}`,
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
    if (FlotillaError.is(err, 'config')) throw err;
    return { endpoint: `${e.kind} ${e.url ?? e.name}`, kind: e.kind, reachable: false, error: FlotillaError.is(err) ? `${err.kind}: ${err.message}` : String(err), models: [] };
  }
}

function render(listings: EndpointListing[]): string {
  const out: string[] = [];
  for (const l of listings) {
    out.push(`${l.endpoint}${l.reachable ? '' : ` — unreachable: ${l.error}`}`);
    if (l.reachable && l.models.length === 0) out.push('  (no models)');
    for (const m of l.models) {
      const size = m.sizeBytes ? `${(m.sizeBytes / 1e9).toFixed(1)} GB` : '';
      out.push(`  ${m.loaded ? '●' : '○'} ${m.name.padEnd(32)} ${size.padStart(8)}  ${m.details ?? ''}`.trimEnd());
    }
  }
  out.push('', '● loaded  ○ available', '');
  return out.join('\n');
}
