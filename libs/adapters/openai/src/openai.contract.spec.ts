import { describeModelClientContract } from '@flotilla/core/testing';
import { OpenAITestServer, openAITestServerContractScripting } from '@flotilla/testing';
import { OpenAICompatibleModelClient } from './index';

describeModelClientContract('OpenAICompatibleModelClient against OpenAITestServer', async () => {
  const server = new OpenAITestServer({ models: ['contract-model'], slots: 2, timeScale: 0.02 });
  await server.start();
  const client = new OpenAICompatibleModelClient({ baseURL: server.baseURL, env: {} });
  return {
    client,
    model: 'contract-model',
    missingModel: 'no-such-model',
    ...openAITestServerContractScripting(server),
    close: () => server.close(),
  };
});
