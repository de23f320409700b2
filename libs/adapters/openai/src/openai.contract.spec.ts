import { describeModelClientContract, type ContractBehaviour } from '@flotilla/core/testing';
import { OpenAITestServer, type OpenAIScriptedReply } from '@flotilla/testing';
import { OpenAICompatibleModelClient } from './index';

const STATUS_FAULT = { modelNotFound: 'http404', overloaded: 'http503', badRequest: 'http400', unavailable: 'http500' } as const;

function toScript(b: ContractBehaviour): OpenAIScriptedReply {
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
      return { fault: STATUS_FAULT[b.kind] };
    case 'midStreamError':
      return { fault: { name: 'errorMidStream', arg: b.afterChunks }, message: b.message };
    case 'drop':
      return { fault: { name: 'dropMidStream', arg: b.afterChunks } };
    case 'hang':
      return { fault: 'hang' };
    case 'trickle':
      return { text: b.text, chunks: b.chunks, intervalMs: b.intervalMs };
  }
}

describeModelClientContract('OpenAICompatibleModelClient against OpenAITestServer', async () => {
  const server = new OpenAITestServer({ models: ['contract-model'], slots: 2, timeScale: 0.02 });
  await server.start();
  const client = new OpenAICompatibleModelClient({ baseURL: server.baseURL, env: {} });
  return {
    client,
    model: 'contract-model',
    missingModel: 'no-such-model',
    scriptNext: (behaviour) => server.scriptNext(toScript(behaviour)),
    observedCancellation: () => server.chatRequests.at(-1)?.clientDisconnected === true,
    requestCount: () => server.chatRequests.length,
    close: () => server.close(),
  };
});
