import 'reflect-metadata';
import * as path from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the real pipeline through the router
import { type CodingPipelineOptions, type PipelineResult, codingPipeline, pipelineResult } from '@flotilla/agents';
import { type FlotillaConfig, type ModelClient, type RunOptions, createFlotilla } from '@flotilla/core';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the OpenAI-compatible test server
import { OpenAITestServer } from '@flotilla/testing';
import { RouterConfigSchema } from './config/router-config.schema';
import { createFleetFromConfig } from './create-fleet';
import { events, finalOf, userMessage } from '../spec/sim-fleet';

/** The coding pipeline on `client`, read as the pipeline's result. */
async function runPipeline(client: ModelClient, objective: string, config?: FlotillaConfig, options: CodingPipelineOptions & RunOptions = {}): Promise<PipelineResult> {
  const pipeline = codingPipeline(options);
  return pipelineResult(pipeline, objective, await createFlotilla({ client, config }).run(pipeline, objective, options).result);
}

const DEMO_CASSETTE = path.resolve(__dirname, '../../../../apps/demo/cassettes/reverse-string.json');

describe('createFleetFromConfig: every backend kind by configuration alone', () => {
  it('maps the agents section onto the engine configuration (model per agent)', () => {
    const fleet = createFleetFromConfig(
      RouterConfigSchema.parse({
        endpoints: [{ name: 'replay', kind: 'fixture', cassettes: [DEMO_CASSETTE] }],
        agents: { worker: { model: 'qwen3:4b', fallbacks: ['qwen3:1.7b'], labels: ['small'] } },
      }),
    );
    expect(fleet.flotillaConfig).toEqual({ agents: { worker: { model: 'qwen3:4b' } } });
    expect(fleet.describe()).toBe('router over replay (fixture, 1 slot(s))');
  });

  it('replays the demo pipeline from a fixture endpoint', async () => {
    const fleet = createFleetFromConfig(RouterConfigSchema.parse({ endpoints: [{ name: 'replay', kind: 'fixture', cassettes: [DEMO_CASSETTE], slots: 5 }] }));
    await fleet.start();
    const result = await runPipeline(fleet.router, 'Create a function that reverses a string and tests it', fleet.flotillaConfig);
    expect(result.status).toBe('succeeded');
    expect(result.approved).toBe(true);
    expect(new Set(result.run.steps.map((s) => s.call?.endpoint).filter(Boolean))).toEqual(new Set(['replay']));
    await fleet.close();
  });

  it('routes to an OpenAI-compatible server with its key read from the named variable, within its slots', async () => {
    const server = new OpenAITestServer({ apiKey: 'sk-fleet-secret', slots: 2, models: ['tiny'], latency: { firstTokenMs: 5, perTokenMs: 1 } });
    await server.start();
    try {
      const fleet = createFleetFromConfig(
        RouterConfigSchema.parse({ endpoints: [{ name: 'oa', kind: 'openai', url: server.baseURL, slots: 2, apiKeyEnv: 'FLEET_TEST_KEY' }] }),
        { env: { FLEET_TEST_KEY: 'sk-fleet-secret' } },
      );
      await fleet.start();
      const finals = await Promise.all([1, 2, 3, 4, 5].map((i) => events(fleet.router.chat({ model: 'tiny', messages: userMessage(`q${i}`) })).then(finalOf)));
      expect(finals.every((f) => f.endpoint === 'oa')).toBe(true);
      expect(server.slotStats.maxInUse).toBe(2);
      expect(server.requests.filter((r) => r.queued)).toHaveLength(0);
      expect(JSON.stringify(fleet.router.report()) + fleet.describe()).not.toContain('sk-fleet-secret');
      await fleet.close();
    } finally {
      await server.close();
    }
  });
});

describe('createFleetFromConfig: the slot ledger', () => {
  it('counts calls in flight in the ledger it is given: slots another process holds there keep a call queued', async () => {
    const { LocalSlotLedger } = await import('./endpoints/slot-ledger');
    const { startSim } = await import('../spec/sim-fleet');
    const sim = await startSim({ models: ['qwen3:4b'] });
    const shared = new LocalSlotLedger();
    shared.take('qwen3:4b'); // held elsewhere: the endpoint's one slot is in use
    const fleet = createFleetFromConfig(RouterConfigSchema.parse({ endpoints: [{ name: 'one', kind: 'ollama', url: sim.url, slots: 1 }] }), { ledger: () => shared });
    try {
      await fleet.start();
      const call = events(fleet.router.chat({ model: 'qwen3:4b', messages: userMessage('wait for it') }));
      await new Promise((r) => setTimeout(r, 100));
      expect([fleet.router.queued, sim.generationRequests().length]).toEqual([1, 0]);
      shared.give('qwen3:4b'); // the other process let it go
      fleet.router.pump();
      expect(finalOf(await call).endpoint).toBe('one');
      expect(shared.total).toBe(0);
    } finally {
      await fleet.close();
      await sim.close();
    }
  });
});
