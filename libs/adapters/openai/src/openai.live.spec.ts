import { FlotillaError } from '@flotilla/core';
import { collectChat } from '@flotilla/core/testing';
import Ajv from 'ajv';
import { firstValueFrom, tap } from 'rxjs';
import { OpenAICompatibleModelClient } from './index';

/**
 * Opt-in checks against a real server: *.live.spec.ts files run only with FLOTILLA_LIVE=1
 * (jest.preset.cjs leaves them out of the default run). Example with llama.cpp:
 *   FLOTILLA_LIVE=1 FLOTILLA_OPENAI_LIVE_URL=http://127.0.0.1:8080/v1 FLOTILLA_OPENAI_LIVE_MODEL=any \
 *   FLOTILLA_OPENAI_LIVE_EMBED_MODEL=any npx jest -c libs/adapters/openai/jest.config.cjs openai.live
 * The key, if any, comes from OPENAI_API_KEY. A missing setting fails the run, saying which.
 */
function setting(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`openai.live.spec.ts: set ${name} (see the comment at the top of the file)`);
  return value;
}
const baseURL = setting('FLOTILLA_OPENAI_LIVE_URL');
const model = setting('FLOTILLA_OPENAI_LIVE_MODEL');
const embedModel = setting('FLOTILLA_OPENAI_LIVE_EMBED_MODEL');

describe('OpenAICompatibleModelClient against a live server (opt-in)', () => {
  const client = new OpenAICompatibleModelClient({ baseURL });
  jest.setTimeout(120_000);

  it('answers health and lists models', async () => {
    expect((await client.health()).ok).toBe(true);
    expect(Array.isArray(await client.listModels())).toBe(true);
  });

  it('streams a reply and ends with one final event', async () => {
    const c = await collectChat(
      client.chat({ model: model!, messages: [{ role: 'user', content: 'Say hello in five words.' }], options: { maxTokens: 32, temperature: 0 } }),
      110_000,
    );
    expect(c.error).toBeUndefined();
    expect(c.events.at(-1)?.type).toBe('final');
  });

  it('returns structured output that conforms', async () => {
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['word', 'count'],
      properties: { word: { type: 'string', maxLength: 20 }, count: { type: 'integer', minimum: 0, maximum: 9 } },
    };
    const c = await collectChat(
      client.chat({ model: model!, messages: [{ role: 'user', content: 'Give a word and a digit as JSON.' }], format: schema, options: { maxTokens: 64, temperature: 0 } }),
      110_000,
    );
    const final = c.events.find((e) => e.type === 'final');
    expect(final?.type === 'final' && new Ajv().validate(schema, JSON.parse(final.message.content))).toBe(true);
  });

  it('embeds', async () => {
    const result = await firstValueFrom(client.embed({ model: embedModel, input: ['harbour', 'anchor'] }));
    expect(result.embeddings).toHaveLength(2);
  });

  it('fails a call cancelled mid-stream with aborted', async () => {
    // Abort at the first token, whatever the server's speed.
    const controller = new AbortController();
    const stream = client.chat({ model: model!, messages: [{ role: 'user', content: 'Count to 100.' }] }, { signal: controller.signal });
    const c = await collectChat(stream.pipe(tap((e) => e.type === 'delta' && controller.abort())));
    expect(FlotillaError.is(c.error, 'aborted')).toBe(true);
    expect(c.events.some((e) => e.type === 'final')).toBe(false);
  });
});
