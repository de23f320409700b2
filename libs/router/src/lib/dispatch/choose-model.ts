import { FlotillaError } from '@flotilla/core';
import type { AgentRoute } from '../config/router-config.schema';
import type { EndpointState } from '../endpoints/endpoint-state';
import { canonicalModel } from '../endpoints/model-name';
import type { StarterRegistry } from '../on-demand/starter-registry';

export interface ModelChoice {
  /** As the caller or the fallback list spells it (sent to the server). */
  wire: string;
  /** Labels an endpoint must have: the agent's for its own model, none for a fallback. */
  labels: readonly string[];
}

/**
 * The model a call runs on: the asked one if a running, healthy endpoint (or a startable
 * on-demand one) serves it with the agent's labels, else the agent's first fallback that
 * some endpoint serves. Otherwise `modelNotFound` (nobody has it) or `circuitOpen` (those
 * that have it are down).
 */
export function chooseModel(
  fleetName: string,
  endpoints: readonly EndpointState[],
  starters: StarterRegistry,
  asked: string,
  route: Partial<AgentRoute> | undefined,
): ModelChoice | FlotillaError {
  const candidates = [asked, ...(route?.fallbacks ?? [])];
  for (const [i, wire] of candidates.entries()) {
    const labels = i === 0 ? (route?.labels ?? []) : [];
    if (endpoints.some((e) => e.usable(wire) && labels.every((l) => e.labels.has(l))) || starters.couldServe(wire, labels)) return { wire, labels };
  }
  const model = canonicalModel(asked);
  const servers = endpoints.filter((e) => e.serves(asked));
  if (servers.length === 0) {
    const also = candidates.length > 1 ? ` or its fallbacks ${candidates.slice(1).join(', ')}` : '';
    return new FlotillaError('modelNotFound', `no endpoint of ${fleetName} serves ${JSON.stringify(model)}${also}`, {
      details: { model, fallbacks: candidates.slice(1) },
    });
  }
  return circuitOpenError(model, servers);
}

/**
 * Every endpoint that serves `model` is down: `circuitOpen`, saying why each one last
 * failed. When each of them failed on its configuration (a refused or missing API key),
 * waiting will not help: a `config` error that says so.
 */
export function circuitOpenError(model: string, servers: readonly EndpointState[]): FlotillaError {
  const reasons = servers.map((e) => (e.lastError ? `${e.name} (${e.lastError.kind}: ${e.lastError.message})` : e.name));
  const details = { model, endpoints: servers.map((e) => e.name) };
  if (servers.length > 0 && servers.every((e) => e.lastError?.kind === 'config')) {
    return new FlotillaError('config', `no endpoint serving ${JSON.stringify(model)} can be used: ${reasons.join('; ')}`, { details });
  }
  return new FlotillaError('circuitOpen', `every endpoint serving ${JSON.stringify(model)} is down or its circuit is open: ${reasons.join('; ')}`, { details });
}
