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
    const m = canonicalModel(wire);
    const labels = i === 0 ? (route?.labels ?? []) : [];
    if (endpoints.some((e) => e.usable(m) && labels.every((l) => e.labels.has(l))) || starters.couldServe(m, labels)) return { wire, labels };
  }
  const model = canonicalModel(asked);
  const servers = endpoints.filter((e) => e.serves(model)).map((e) => e.name);
  if (servers.length === 0) {
    const also = candidates.length > 1 ? ` or its fallbacks ${candidates.slice(1).join(', ')}` : '';
    return new FlotillaError('modelNotFound', `no endpoint of ${fleetName} serves ${JSON.stringify(model)}${also}`, {
      details: { model, fallbacks: candidates.slice(1) },
    });
  }
  return circuitOpenError(model, servers);
}

export function circuitOpenError(model: string, servers: readonly string[]): FlotillaError {
  return new FlotillaError('circuitOpen', `every endpoint serving ${JSON.stringify(model)} is down or its circuit is open: ${servers.join(', ')}`, {
    details: { model, endpoints: [...servers] },
  });
}
