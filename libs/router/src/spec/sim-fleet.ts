// Test helpers: simulated Ollama servers and fleets over them. Specs only.
import type { ChatEvent, FinalEvent } from '@flotilla/core';
import { type Observable, lastValueFrom, toArray } from 'rxjs';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the router's specs talk to the simulators over HTTP
import { OllamaSimServer, type OllamaSimOptions, type OllamaSimProcess, type SimRequestRecord, WORKSPACE_ROOT as ROOT, freePort, ollamaSimCommand, processAlive, spawnOllamaSim } from '@flotilla/testing';
import { RouterConfigSchema, type RouterConfigInput } from '../lib/config/router-config.schema';
import { type Fleet, createFleetFromConfig } from '../lib/create-fleet';

/** freePort: a free TCP port on 127.0.0.1 (for servers started as child processes); processAlive: whether a pid still exists. */
export { OllamaSimServer, freePort, processAlive };

export async function startSim(options: OllamaSimOptions): Promise<OllamaSimServer> {
  const sim = new OllamaSimServer({ timeScale: 0.02, ...options });
  await sim.start();
  return sim;
}

export function fleet(input: RouterConfigInput): Fleet {
  return createFleetFromConfig(RouterConfigSchema.parse(input));
}

export function events(o: Observable<ChatEvent>): Promise<ChatEvent[]> {
  return lastValueFrom(o.pipe(toArray()));
}

export function finalOf(list: ChatEvent[]): FinalEvent {
  const f = list.at(-1);
  if (f?.type !== 'final') throw new Error(`no final event in ${JSON.stringify(list)}`);
  return f;
}

export function userMessage(text: string) {
  return [{ role: 'user' as const, content: text }];
}

/** The most generation requests that overlapped in time on a simulator. */
export function peakConcurrency(records: readonly SimRequestRecord[]): number {
  const points: [number, number][] = [];
  for (const r of records) {
    points.push([r.receivedAt, 1]);
    points.push([r.finishedAt ?? Infinity, -1]);
  }
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let peak = 0;
  for (const [, d] of points) peak = Math.max(peak, (cur += d));
  return peak;
}


/** Polls until `predicate` holds; bounded. */
export async function waitUntil(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// The simulator as a child process lives in @flotilla/testing; these names are the router specs'.
export const WORKSPACE_ROOT = ROOT;
export const simCommand = ollamaSimCommand;
export const spawnSim = spawnOllamaSim;
export type SimProcess = OllamaSimProcess;
