import { readFileSync, statSync } from 'node:fs';
import { DEFAULT_RETENTION, FlotillaError, type RunStore, createFlotilla, numberFlag, parseFlags, pruneRuns } from '@flotilla/core';
import { DEFAULT_GATEWAY_HOST, DEFAULT_GATEWAY_PORT, Gateway, TenancySchema, type TenancyInput } from '@flotilla/gateway';
import { parse as parseYaml } from 'yaml';
import { createFleetFromConfig, loadRouterConfig } from '@flotilla/router';
import type { CliIo } from './cli-io';
import { EXIT } from './exit-codes';
import { chainFolderRunner, sharedClient } from './chain-folder';
import { openSqliteStore } from './sqlite-store';
import { type CommandTools, TOOLS_FLAGS, openTools } from './cli-tools';

/** How long streams in flight may take to finish after SIGTERM, unless --drain-ms says otherwise. */
export const DEFAULT_SERVE_DRAIN_MS = 10_000;

/** How often `flotilla serve --store` prunes finished runs (DEFAULT_RETENTION). */
const RETENTION_INTERVAL_MS = 3_600_000;

export const SERVE_USAGE = `flotilla serve --config <fleet.yaml> [--host <addr>] [--port <n>] [--tenants <tenants.yaml>] [--open]
               [--allow-host <name>]... [--allow-origin <url>]... [--drain-ms <ms>]
               [--chains <folder> [--store <file>] [--tools <module>]...]

Serves the fleet of <fleet.yaml> (or FLOTILLA_CONFIG) over HTTP to any OpenAI or Ollama
client: /v1/chat/completions, /v1/completions, /v1/embeddings, /v1/models; /api/chat,
/api/generate, /api/embed, /api/tags, /api/ps (fleet-wide), /api/show, /api/version.
Binds ${DEFAULT_GATEWAY_HOST}:${DEFAULT_GATEWAY_PORT} unless told otherwise. Requests must name
this address (or an --allow-host name) in Host; browser pages only from --allow-origin.
--tenants names API keys by environment variable, with each tenant's models, priority,
maxConcurrent, requestsPerMinute, weight and admin role. Without keys the gateway serves
loopback only; --open insists on another --host without them.
--chains serves the chain files of <folder> as runs: POST /v1/runs/<name> starts <name>.yaml
(streamed as AG-UI events over SSE; a plain {"input": ...} body with Accept: application/json
gets the result), GET /v1/runs/<id>, POST /v1/runs/<id>/cancel; with --store (a SQLite run
store) runs are journaled and POST /v1/runs/<id>/resume and /answer continue them. Admin keys only.
Their agents may name the tools of --tools modules and of the fleet file's mcp: servers (every
server is started with the gateway, and stopped with it).
SIGTERM or Ctrl-C cancels runs in flight, stops accepting and drains streams for up to --drain-ms (default ${DEFAULT_SERVE_DRAIN_MS}).
Exit codes: 0 stopped, 2 bad usage or configuration (a port in use).
`;

export async function serveCommand(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseFlags(
    'flotilla serve',
    argv,
    {
      config: { type: 'string' },
      host: { type: 'string' },
      port: { type: 'string' },
      'allow-host': { type: 'string', multiple: true },
      'allow-origin': { type: 'string', multiple: true },
      'drain-ms': { type: 'string' },
      tenants: { type: 'string' },
      chains: { type: 'string' },
      store: { type: 'string' },
      ...TOOLS_FLAGS,
      open: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    false,
  );
  if (values.help) {
    io.stdout.write(SERVE_USAGE);
    return EXIT.ok;
  }
  const file = values.config ?? io.env['FLOTILLA_CONFIG'];
  if (!file) {
    io.stderr.write(`flotilla serve: --config <fleet.yaml> (or FLOTILLA_CONFIG) is required: the gateway serves a fleet.\n`);
    return EXIT.usage;
  }
  const port = values.port === undefined ? DEFAULT_GATEWAY_PORT : numberFlag('--port', values.port, { integer: true, min: 0, minInclusive: true, max: 65_535 });
  const drainMs = values['drain-ms'] === undefined ? DEFAULT_SERVE_DRAIN_MS : numberFlag('--drain-ms', values['drain-ms'], { integer: true, min: 0, minInclusive: true });
  const tenancy = values.tenants === undefined ? undefined : loadTenancy(values.tenants);
  const chains = values.chains;
  if (values.store !== undefined && chains === undefined) throw new FlotillaError('config', 'flotilla serve --store: only with --chains <folder> (the store journals the runs it serves)', { details: { flag: '--store' } });
  if (chains !== undefined && !isFolder(chains)) throw new FlotillaError('config', `flotilla serve --chains ${chains}: not a folder`, { details: { flag: '--chains' } });
  if (values.tools?.length && chains === undefined) throw new FlotillaError('config', 'flotilla serve --tools: only with --chains <folder> (tools are for the chains it serves)', { details: { flag: '--tools' } });
  const routerConfig = loadRouterConfig(file);
  const fleet = createFleetFromConfig(routerConfig, { env: io.env, log: (line) => io.stderr.write(`${line}\n`) });
  let gateway: Gateway | undefined;
  let store: RunStore | undefined;
  let retentionTimer: NodeJS.Timeout | undefined;
  let tools: CommandTools | undefined;
  try {
    // The chains' tools, shared by every run (each run's Flotilla gets them; the gateway closes them).
    if (chains !== undefined) tools = await openTools({ modules: values.tools, mcp: routerConfig.mcp, fleetFile: file, env: io.env, signal: io.signal }, 'all');
    await fleet.start();
    if (values.store !== undefined) store = await openSqliteStore(values.store);
    const client = sharedClient(fleet.router);
    // Each run has its own Flotilla, so retention is the server's: the default policy when the
    // store opens and every hour after (a Flotilla per run would sweep on every run).
    const flotilla = () => createFlotilla({ client, config: fleet.flotillaConfig, ...(store ? { store, retention: false as const } : {}), ...(tools ? { tools: tools.tools } : {}) });
    if (store) {
      const sweep = (s: RunStore) =>
        pruneRuns(s, DEFAULT_RETENTION).catch((e: unknown) => io.stderr.write(`retention sweep of ${values.store}: ${(e as Error).message}\n`));
      await sweep(store);
      retentionTimer = setInterval(() => void sweep(store!), RETENTION_INTERVAL_MS);
      retentionTimer.unref();
    }
    gateway = await Gateway.start(fleet.router, {
      host: values.host ?? DEFAULT_GATEWAY_HOST,
      port,
      allowedHosts: values['allow-host'] ?? [],
      allowedOrigins: values['allow-origin'] ?? [],
      drainMs,
      open: values.open,
      env: io.env,
      ...(tenancy ? { tenancy } : {}),
      ...(chains !== undefined ? { runs: chainFolderRunner(chains, flotilla, routerConfig, store, tools?.names) } : {}),
      log: (level, message, fields) => {
        if (level === 'warn') io.stderr.write(`${message}${fields?.['requestId'] ? ` (request ${String(fields['requestId'])})` : ''}\n`);
      },
    });
    io.stdout.write(`flotilla gateway on ${gateway.url} over ${fleet.describe()}\ndashboard: ${gateway.url}/\n`);
    await new Promise<void>((resolve) => {
      if (io.signal?.aborted) return resolve();
      io.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    io.stderr.write(`draining ${gateway.active} request(s) for up to ${drainMs} ms\n`);
    return EXIT.ok;
  } finally {
    clearInterval(retentionTimer);
    // Cancels the runs in flight (each closes its Flotilla) before the fleet and the store close.
    await gateway?.close();
    await store?.close();
    await tools?.close();
    await fleet.close();
  }
}

function isFolder(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** The tenants file (YAML or JSON): keys by environment variable, never the keys themselves. */
function loadTenancy(file: string): TenancyInput {
  let value: unknown;
  try {
    value = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FlotillaError('config', `${file}: cannot read the tenants file: ${(e as Error).message}`, { cause: e });
  }
  const parsed = TenancySchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${file}: ${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new FlotillaError('config', problems.join('\n'));
  }
  return parsed.data;
}
