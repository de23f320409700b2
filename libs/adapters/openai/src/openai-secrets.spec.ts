import { FlotillaError } from '@flotilla/core';
import { collectChat } from '@flotilla/core/testing';
import { faultMarker, OpenAITestServer, type OpenAIFaultName } from '@flotilla/testing';
import { firstValueFrom } from 'rxjs';
import { inspect } from 'node:util';
import { OpenAICompatibleModelClient } from './index';

const PLANTED = 'sk-planted-4f9c2e7d1b8a6053-do-not-leak';

/** Every string reachable from an error: message, details, JSON, stack, the cause chain. */
function everythingSaidBy(error: unknown): string {
  const seen = new Set<unknown>();
  const parts: string[] = [];
  const visit = (value: unknown, depth: number): void => {
    if (depth > 6 || value === null || value === undefined || seen.has(value)) return;
    if (typeof value !== 'object' && typeof value !== 'function') {
      parts.push(String(value));
      return;
    }
    seen.add(value);
    if (value instanceof Error) parts.push(value.message, String(value.stack));
    try {
      parts.push(JSON.stringify(value));
    } catch {
      // circular structures: their parts are visited below
    }
    for (const key of Object.getOwnPropertyNames(value)) visit((value as Record<string, unknown>)[key], depth + 1);
    if (value instanceof Error) visit(value.cause, depth + 1);
  };
  visit(error, 0);
  return parts.join('\n');
}

describe('OpenAICompatibleModelClient never reveals the API key', () => {
  const server = new OpenAITestServer({ apiKey: PLANTED, timeScale: 0.02 });
  const careless = new OpenAITestServer({ apiKey: 'the-real-key', echoApiKeyInErrors: true });
  const envName = 'FLOTILLA_TEST_OPENAI_KEY';

  beforeAll(async () => {
    process.env[envName] = PLANTED;
    await Promise.all([server.start(), careless.start()]);
  });
  afterAll(async () => {
    delete process.env[envName];
    await Promise.all([server.close(), careless.close()]);
  });

  const request = (content: string) => ({ model: 'test-model', messages: [{ role: 'user' as const, content }] });

  it('reads the key from the configured environment variable and sends it', async () => {
    const client = new OpenAICompatibleModelClient({ baseURL: server.baseURL, apiKeyEnv: envName });
    const c = await collectChat(client.chat(request('hi')));
    expect(c.error).toBeUndefined();
    expect(server.chatRequests.at(-1)!.hadAuthorization).toBe(true);
  });

  const faults: OpenAIFaultName[] = ['http400', 'http404', 'http500', 'http503', 'contextOverflow', 'errorMidStream', 'dropMidStream', 'malformedSse'];
  it.each(faults)('keeps the key out of a %s error', async (fault) => {
    const client = new OpenAICompatibleModelClient({ baseURL: server.baseURL, apiKeyEnv: envName });
    const c = await collectChat(client.chat(request(`hi ${faultMarker(fault, 1)}`)));
    expect(FlotillaError.is(c.error)).toBe(true);
    expect(everythingSaidBy(c.error)).not.toContain(PLANTED);
  });

  it('redacts the key when a server echoes it in its error message', async () => {
    const client = new OpenAICompatibleModelClient({ baseURL: careless.baseURL, apiKeyEnv: envName });
    const c = await collectChat(client.chat(request('hi')));
    expect(FlotillaError.is(c.error, 'config')).toBe(true);
    const error = c.error as FlotillaError;
    expect(error.message).toContain('[redacted]');
    expect(everythingSaidBy(error)).not.toContain(PLANTED);
    expect(JSON.stringify(error)).not.toContain(PLANTED);
  });

  it('keeps the key out of connection, embedding, listing and health errors', async () => {
    const gone = new OpenAITestServer();
    const url = await gone.start();
    await gone.close();
    const client = new OpenAICompatibleModelClient({ baseURL: `${url}/v1`, apiKeyEnv: envName });
    const chat = await collectChat(client.chat(request('hi')));
    const embed = await firstValueFrom(client.embed({ model: 'test-model', input: 'x' })).catch((e: unknown) => e);
    const list = await client.listModels().catch((e: unknown) => e);
    const health = await client.health();
    const echoed = new OpenAICompatibleModelClient({ baseURL: careless.baseURL, apiKeyEnv: envName });
    const echoedList = await echoed.listModels().catch((e: unknown) => e);
    for (const error of [chat.error, embed, list, health.error, echoedList]) {
      expect(FlotillaError.is(error)).toBe(true);
      expect(everythingSaidBy(error)).not.toContain(PLANTED);
    }
  });

  it('keeps the key out of the client object when it is logged or serialised', () => {
    const client = new OpenAICompatibleModelClient({ baseURL: server.baseURL, apiKeyEnv: envName });
    expect(JSON.stringify(client)).not.toContain(PLANTED);
    expect(inspect(client, { depth: 10, showHidden: true })).not.toContain(PLANTED);
  });

  it('sends a dummy key when the variable is unset, so keyless local servers work', async () => {
    const open = new OpenAITestServer();
    await open.start();
    try {
      const client = new OpenAICompatibleModelClient({ baseURL: open.baseURL, apiKeyEnv: 'FLOTILLA_UNSET_KEY_VARIABLE' });
      expect((await collectChat(client.chat(request('hi')))).error).toBeUndefined();
      expect(open.chatRequests[0]!.hadAuthorization).toBe(true);
    } finally {
      await open.close();
    }
  });
});
