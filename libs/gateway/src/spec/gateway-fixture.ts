// Test helpers: simulated Ollama servers, a fleet over them and a gateway in front. Specs only.
import { request } from 'node:http';
import { type RouterConfigInput, RouterConfigSchema, createFleetFromConfig, type Fleet } from '@flotilla/router';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the gateway's specs talk to the simulators over HTTP
import { OllamaSimServer, type OllamaSimOptions, type OllamaSimProcess, OpenAITestServer, spawnOllamaSim } from '@flotilla/testing';
import { Gateway } from '../lib/gateway.server';
import type { GatewayOptions } from '../lib/gateway.options';

export { OllamaSimServer, OpenAITestServer, spawnOllamaSim, type OllamaSimProcess };

export const CHAT_MODEL = 'qwen3:4b';
export const EMBED_MODEL = 'nomic-embed-text:latest';

/** Everything a test started, closed in reverse by `close()`. */
export class GatewayFixture {
  readonly sims: OllamaSimServer[] = [];
  fleet: Fleet | undefined;
  gateway: Gateway | undefined;

  async sim(options: OllamaSimOptions = {}): Promise<OllamaSimServer> {
    const s = new OllamaSimServer({ timeScale: 0.01, models: [CHAT_MODEL, EMBED_MODEL], ...options });
    await s.start();
    this.sims.push(s);
    return s;
  }

  /** A fleet over `endpoints` (default: one endpoint per simulator started so far) and a gateway on a free port. */
  async start(config: Partial<RouterConfigInput> = {}, options: GatewayOptions = {}): Promise<Gateway> {
    const endpoints = config.endpoints ?? this.sims.map((s, i) => ({ name: `sim${i}`, kind: 'ollama' as const, url: s.url, slots: 2 }));
    this.fleet = createFleetFromConfig(RouterConfigSchema.parse({ ...config, endpoints }));
    await this.fleet.start();
    this.gateway = await Gateway.start(this.fleet.router, { port: 0, drainMs: 1_000, ...options });
    return this.gateway;
  }

  get url(): string {
    return this.gateway!.url;
  }

  async close(): Promise<void> {
    await this.gateway?.close();
    await this.fleet?.close();
    await Promise.all(this.sims.splice(0).map((s) => s.close()));
    this.gateway = undefined;
    this.fleet = undefined;
  }
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** performance.now() when the headers arrived, and when each body chunk did. */
  headersAt: number;
  chunks: { at: number; text: string }[];
  /** The response ended without its last chunk (cut). */
  aborted: boolean;
}

/** One request over raw HTTP, for what the official clients cannot send (wrong hosts, content types, bodies). */
export function raw(url: string, method: string, path: string, body?: string, headers: Record<string, string> = {}, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const out: RawResponse = { status: res.statusCode ?? 0, headers: res.headers, body: '', headersAt: performance.now(), chunks: [], aborted: false };
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        out.body += d;
        out.chunks.push({ at: performance.now(), text: d });
      });
      res.on('aborted', () => (out.aborted = true));
      res.on('error', () => {
        out.aborted = true;
        resolve(out);
      });
      res.on('end', () => resolve(out));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const json = (value: unknown) => JSON.stringify(value);

/** The simulator as a child process a test can kill -9 (from @flotilla/testing). */
export const spawnSim = (args: readonly string[]): Promise<OllamaSimProcess> => spawnOllamaSim(0, args);
export type SimProcess = OllamaSimProcess;
