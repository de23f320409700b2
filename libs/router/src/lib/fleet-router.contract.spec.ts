import { describeModelClientContract } from '@flotilla/core/testing';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the router over a simulated Ollama server
import { OllamaSimServer, ollamaSimContractScripting } from '@flotilla/testing';
import { fleet } from '../spec/sim-fleet';

// The router is a ModelClient like any adapter: the shared contract suite, through a fleet of
// one simulated Ollama server. Its own events (`dispatched`, `loading`) ride along in every
// stream the suite reads.

describeModelClientContract('FleetRouter over one simulated Ollama server', async () => {
  const sim = new OllamaSimServer({ models: [{ name: 'qwen3:4b', loadMs: 0 }], numParallel: 4, timeScale: 0.01 });
  const url = await sim.start();
  // Failures must not open the circuit between cases: the suite provokes many on purpose.
  const f = fleet({ endpoints: [{ name: 'sim', kind: 'ollama', url, slots: 4 }], routing: { healthIntervalMs: 0, failureThreshold: 1_000, defaultLoadMs: 0 } });
  await f.start();
  return {
    client: f.router,
    model: 'qwen3:4b',
    missingModel: 'no-such-model:1b',
    ...ollamaSimContractScripting(sim),
    close: async () => {
      await f.close();
      await sim.close();
    },
  };
});
