import { z } from 'zod';
import { createFlotilla, defineAgent, defineTool } from '@flotilla/core';
import { fleet, peakConcurrency, startSim } from '../spec/sim-fleet';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the tool loop through a fleet router', () => {
  it("releases the router slot while a tool runs: another run's call is dispatched on the one slot meanwhile", async () => {
    // The model calls `hold` until a tool has answered, then answers in text.
    const sim = await startSim({
      models: [{ name: 'qwen3:4b', loadMs: 0 }],
      timeScale: 0,
      script: (ctx) => (ctx.messages.at(-1)?.role === 'tool' ? 'moored' : { toolCalls: [{ name: 'hold', arguments: {} }] }),
    });
    const f = fleet({ endpoints: [{ name: 'one', kind: 'ollama', url: sim.url, slots: 1 }], routing: { healthIntervalMs: 0, defaultLoadMs: 0 } });
    await f.start();
    try {
      const seen: number[] = [];
      const hold = defineTool({ name: 'hold', input: z.object({}), run: () => sleep(60).then(() => (seen.push(sim.generationRequests().length), sleep(60))).then(() => 'held') });
      const agent = defineAgent({ name: 'pilot', model: 'qwen3:4b', tools: [hold], prompt: (q: string) => q });
      const flotilla = createFlotilla({ client: f.router });
      const results = await Promise.all([flotilla.run(agent, 'a').result, flotilla.run(agent, 'b').result]);
      expect(results.map((r) => [r.status, r.output])).toEqual([
        ['succeeded', 'moored'],
        ['succeeded', 'moored'],
      ]);
      // Both first calls were served while the first run's tool ran: its slot was free.
      expect(seen[0]).toBeGreaterThanOrEqual(2);
      expect(sim.generationRequests()).toHaveLength(4);
      expect(peakConcurrency(sim.generationRequests())).toBe(1);
    } finally {
      await f.close();
      await sim.close();
    }
  });
});
