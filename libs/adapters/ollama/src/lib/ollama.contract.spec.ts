import { type ContractBehaviour, type ModelClientContractHarness, describeModelClientContract } from '@flotilla/core/testing';
import { OllamaSimServer, type SimReplySpec } from '@flotilla/testing';
import { OllamaModelClient } from './ollama.model-client';

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

async function harness(stream: boolean): Promise<ModelClientContractHarness> {
  const sim = new OllamaSimServer({ models: ['qwen3:4b'], numParallel: 4, timeScale: 0.01 });
  const host = await sim.start();
  const client = new OllamaModelClient({ host, stream });
  return {
    client,
    model: 'qwen3:4b',
    missingModel: 'no-such-model:1b',
    scriptNext: (b) => sim.scriptNext(toSimReply(b)),
    observedCancellation: () => {
      const last = sim.generationRequests().at(-1);
      return !!last?.clientDisconnected && sim.activeGenerations === 0;
    },
    requestCount: () => sim.generationRequests().length,
    close: () => sim.close(),
  };
}

describeModelClientContract('OllamaModelClient (streaming) against OllamaSimServer', () => harness(true));

// Without streaming the reply arrives whole: a mid-stream failure becomes an HTTP 500 or a
// cut body, and a trickle cannot show partial deltas before a total deadline.
describeModelClientContract('OllamaModelClient (stream: false) against OllamaSimServer', () => harness(false), {
  skip: ['timeouts'],
});
