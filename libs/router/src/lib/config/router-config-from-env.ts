import { FlotillaError } from '@flotilla/core';
import { loadRouterConfig } from './load-router-config';
import { ENDPOINT_KINDS, type EndpointKind, type RouterConfig, RouterConfigSchema } from './router-config.schema';

export interface ResolveRouterConfigOptions {
  /** A configuration file; wins over `FLOTILLA_CONFIG`. */
  file?: string;
  /** A backend kind; wins over `FLOTILLA_BACKEND`. */
  backend?: EndpointKind;
  /** Server address for the single-endpoint default; else OLLAMA_HOST / OPENAI_BASE_URL. */
  url?: string;
  /** Cassettes for the fixture default; else FLOTILLA_CASSETTES (comma-separated). */
  cassettes?: readonly string[];
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

/**
 * The configuration a process runs with: a file (`file`, else `FLOTILLA_CONFIG`), else a
 * single endpoint of the backend `FLOTILLA_BACKEND` names (fixture | ollama | openai | llama-cpp),
 * so swapping backends needs no code change. Undefined when neither is given.
 */
export function resolveRouterConfig(options: ResolveRouterConfigOptions = {}): RouterConfig | undefined {
  const env = options.env ?? process.env;
  const file = options.file ?? env['FLOTILLA_CONFIG'];
  if (file) return loadRouterConfig(file);
  const backend = options.backend ?? env['FLOTILLA_BACKEND'];
  if (!backend) return undefined;
  if (!(ENDPOINT_KINDS as readonly string[]).includes(backend)) {
    throw new FlotillaError('config', `FLOTILLA_BACKEND: expected one of ${ENDPOINT_KINDS.join(', ')}, got ${JSON.stringify(backend)}`);
  }
  return singleEndpointConfig(backend as EndpointKind, { ...options, env });
}

/** One endpoint of `kind` with the conventional environment variables. */
export function singleEndpointConfig(kind: EndpointKind, options: Omit<ResolveRouterConfigOptions, 'file' | 'backend'> = {}): RouterConfig {
  const env = options.env ?? process.env;
  const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const endpoint: Record<string, unknown> = { name: kind, kind };
  if (kind === 'ollama') endpoint['url'] = options.url ?? withScheme(env['OLLAMA_HOST'] ?? 'http://127.0.0.1:11434');
  if (kind === 'openai') {
    endpoint['url'] = options.url ?? env['OPENAI_BASE_URL'] ?? 'http://127.0.0.1:8080/v1';
    endpoint['apiKeyEnv'] = 'OPENAI_API_KEY';
  }
  if (kind === 'fixture') endpoint['cassettes'] = options.cassettes ?? list(env['FLOTILLA_CASSETTES']);
  if (kind === 'llama-cpp') {
    // FLOTILLA_LLAMA_MODELS=name=/path/model.gguf,other=/path/b.gguf
    endpoint['modelPaths'] = Object.fromEntries(list(env['FLOTILLA_LLAMA_MODELS']).map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  }
  const parsed = RouterConfigSchema.safeParse({ endpoints: [endpoint] });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new FlotillaError('config', `FLOTILLA_BACKEND=${kind}: endpoints[0].${issue.path.slice(2).join('.')}: ${issue.message}`, { details: { kind } });
  }
  return parsed.data;
}

function withScheme(host: string): string {
  return host.includes('://') ? host : `http://${host}`;
}
