import { type ContractBehaviour, describeModelClientContract } from '@flotilla/core/testing';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the router over a simulated Ollama server
import { OllamaSimServer, type SimReplySpec } from '@flotilla/testing';
import { fleet } from '../spec/sim-fleet';

// The router is a ModelClient like any adapter: the shared contract suite, through a fleet of
// one simulated Ollama server. Its own events (`dispatched`, `loading`) ride along in every
// stream the suite reads.

const STATUS = { modelNotFound: 404, overloaded: 503, badRequest: 400, unavailable: 500 } as const;

function toSimReply(b: ContractBehaviour): SimReplySpec {
  switch (b.type) {
    case 'text':
      return { text: b.text, chunks: b.chunks };
    case 'structured':
      return {};
    case 'toolCall':
      return { toolCalls: [{ name: b.name, arguments: b.arguments }] };
    case 'toolCalls':
      return { toolCalls: b.calls };
    case 'toolCallText':
      return { toolCalls: [{ name: b.name, arguments: b.arguments }], toolCallsAs: 'text' };
    case 'error':
      return { fault: { type: 'status', status: STATUS[b.kind] } };
    case 'midStreamError':
      return { fault: { type: 'midStreamError', afterChunks: b.afterChunks, message: b.message } };
    case 'drop':
      return { fault: { type: 'drop', afterChunks: b.afterChunks } };
    case 'hang':
      return { fault: { type: 'hang' } };
    case 'trickle':
      return { text: b.text, chunks: b.chunks, intervalMs: b.intervalMs };
  }
}

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
    scriptNext: (b) => sim.scriptNext(toSimReply(b)),
    observedCancellation: () => {
      const last = sim.generationRequests().at(-1);
      return !!last?.clientDisconnected && sim.activeGenerations === 0;
    },
    requestCount: () => sim.generationRequests().length,
    close: async () => {
      await f.close();
      await sim.close();
    },
  };
});
