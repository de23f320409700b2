import { type EmbeddingClient, type EmbeddingResult, FlotillaError } from '@flotilla/core';
import { type NodeHttpFetch, withRequestDeadline } from '@flotilla/http';
import type { FleetRouter } from '@flotilla/router';
import { firstValueFrom } from 'rxjs';

type Endpoint = FleetRouter['endpoints'][number];

/** Every model some endpoint of the fleet lists (from the probes), with the endpoints that have it. */
export function fleetModels(router: FleetRouter): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const e of router.endpoints) {
    for (const m of e.available ?? []) {
      const list = out.get(m) ?? [];
      list.push(e.name);
      out.set(m, list);
    }
  }
  return out;
}

/** Which model is loaded where, fleet-wide (the router's view: probes of /api/ps and its own replies). */
export function fleetLoaded(router: FleetRouter): { model: string; endpoint: string }[] {
  return router.report().endpoints.flatMap((e) => e.loaded.map((model) => ({ model, endpoint: e.name })));
}

/** The error for a model no endpoint serves, or every one that does is down. */
function noEndpoint(router: FleetRouter, model: string, what: string): FlotillaError {
  if (!router.endpoints.some((e) => e.serves(model))) return new FlotillaError('modelNotFound', `model "${model}" not found on any endpoint of ${router.name}`, { details: { model } });
  return new FlotillaError('unavailable', `no endpoint that serves "${model}" can ${what} now`, { details: { model } });
}

/**
 * Embeddings on an endpoint that serves the model and can embed: one that has it loaded
 * first, then the least busy. Embeddings take no chat slot; the router's breakers still keep
 * failing endpoints out.
 */
export async function embedOnFleet(router: FleetRouter, model: string, input: string | string[], extra: { dimensions?: number; truncate?: boolean; keepAlive?: number | string }, timeoutMs: number, signal: AbortSignal): Promise<EmbeddingResult> {
  const candidates = router.endpoints.filter((e) => e.usable(model) && typeof (e.client as Partial<EmbeddingClient>).embed === 'function');
  if (candidates.length === 0) throw noEndpoint(router, model, 'embed');
  candidates.sort((a, b) => Number(b.isLoaded(model)) - Number(a.isLoaded(model)) || a.inFlight - b.inFlight);
  const e = candidates[0]!;
  const client = e.client as unknown as EmbeddingClient;
  try {
    return await withRequestDeadline('embed', timeoutMs, signal, (s) => firstValueFrom(client.embed({ model, input, ...extra }, { signal: s })));
  } catch (err) {
    const error = FlotillaError.is(err) ? err : new FlotillaError('timeout', `${e.name} did not embed within ${timeoutMs} ms`, { cause: err });
    throw error.with({ details: { endpoint: e.name } });
  }
}

/** An Ollama endpoint's own answer to `POST /api/show` for a model it serves. */
export async function showOnFleet(router: FleetRouter, http: NodeHttpFetch, model: string, body: Record<string, unknown>, timeoutMs: number, signal: AbortSignal): Promise<{ status: number; body: unknown }> {
  const ollama = router.endpoints.filter((e: Endpoint) => e.config.kind === 'ollama' && e.config.url && e.usable(model));
  const e = ollama.find((x) => x.isLoaded(model)) ?? ollama[0];
  if (!e) {
    if (router.endpoints.some((x) => x.serves(model) && x.config.kind !== 'ollama')) {
      throw new FlotillaError('badRequest', `/api/show for "${model}" needs an Ollama endpoint; the ones that serve it are of other kinds`, { details: { status: 501 } });
    }
    throw noEndpoint(router, model, 'answer /api/show');
  }
  const url = new URL('/api/show', e.config.url!).toString();
  try {
    return await withRequestDeadline('/api/show', timeoutMs, signal, async (s) => {
      const res = await http(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: s });
      return { status: res.status, body: await res.json() };
    });
  } catch (err) {
    throw new FlotillaError('unavailable', `${e.name} did not answer /api/show: ${(err as Error).message}`, { cause: err, details: { endpoint: e.name } });
  }
}
