import 'reflect-metadata';
import OpenAI from 'openai';
import { Ollama } from 'ollama';
import { Gateway } from '@flotilla/gateway';
import { type Fleet, RouterConfigSchema, createFleetFromConfig } from '@flotilla/router';
import { ensureLlamaServerBinary } from '@flotilla/testing';
import { SYNTHETIC_MODEL_ID, type SyntheticLlamaServer, startSyntheticLlamaServer } from './lib/synthetic-llama-server';

// The gateway (`flotilla serve`'s server) in front of llama.cpp's own server, used by the
// official `openai` and `ollama` clients unchanged: chat, streamed and not, through both APIs.
// Greedy decoding (temperature 0, fixed seed) makes the synthetic model's reply a function of
// the prompt, so each reply through the gateway must equal the one llama-server gives the same
// client directly, word for word, with the length the request set.

jest.setTimeout(60_000);
const BUILD_TIMEOUT_MS = 15 * 60_000;
const MAX_TOKENS = 12;
const PROMPT = 'Say something.';

let served: SyntheticLlamaServer;
let fleet: Fleet;
let gateway: Gateway;
/** The reply llama-server gives the `openai` client directly: what every path below must return. */
let direct: string;

beforeAll(async () => {
  const binary = await ensureLlamaServerBinary();
  served = await startSyntheticLlamaServer({ binary, slots: 2, ctx: 2 * 4096, defaultMaxTokens: 64 });
  fleet = createFleetFromConfig(
    RouterConfigSchema.parse({
      endpoints: [{ name: 'llama', kind: 'openai', url: `${served.server.baseURL}/v1`, slots: 2 }],
      routing: { healthIntervalMs: 0, probeTimeoutMs: 2_000 },
    }),
  );
  await fleet.start();
  gateway = await Gateway.start(fleet.router, { port: 0, drainMs: 1_000 });
  const reply = await openai(`${served.server.baseURL}/v1`).chat.completions.create({ model: SYNTHETIC_MODEL_ID, messages: [{ role: 'user', content: PROMPT }], max_tokens: MAX_TOKENS, temperature: 0, seed: 7 });
  direct = reply.choices[0]!.message.content ?? '';
  expect(reply.usage!.completion_tokens).toBe(MAX_TOKENS);
  expect(direct.length).toBeGreaterThan(0);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await gateway?.close();
  await fleet?.close();
  await served?.dispose();
});

function openai(baseURL: string): OpenAI {
  return new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0, timeout: 30_000 });
}
const ollama = () => new Ollama({ host: gateway.url });

describe('the gateway over llama-server, with the official openai client', () => {
  it('answers a chat without streaming: the server\'s reply, its length and where it was served', async () => {
    const whole = await openai(`${gateway.url}/v1`)
      .chat.completions.create({ model: SYNTHETIC_MODEL_ID, messages: [{ role: 'user', content: PROMPT }], max_tokens: MAX_TOKENS, temperature: 0, seed: 7 })
      .withResponse();
    expect(whole.data.choices[0]!.message.content).toBe(direct);
    expect(whole.data.choices[0]!.finish_reason).toBe('length');
    expect(whole.data.usage!.completion_tokens).toBe(MAX_TOKENS);
    expect(whole.response.headers.get('x-flotilla-endpoint')).toBe('llama');
  });

  it('streams a chat in pieces that add up to the server\'s reply, with usage when asked', async () => {
    const stream = await openai(`${gateway.url}/v1`).chat.completions.create({
      model: SYNTHETIC_MODEL_ID,
      messages: [{ role: 'user', content: PROMPT }],
      max_tokens: MAX_TOKENS,
      temperature: 0,
      seed: 7,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let pieces = 0;
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content;
      if (piece) {
        text += piece;
        pieces++;
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(direct);
    expect(pieces).toBeGreaterThan(1);
    expect(finish).toBe('length');
    expect(usage!.completion_tokens).toBe(MAX_TOKENS);
  });
});

describe('the gateway over llama-server, with the official ollama client', () => {
  it('answers a chat without streaming: the server\'s reply and its length', async () => {
    const reply = await ollama().chat({ model: SYNTHETIC_MODEL_ID, messages: [{ role: 'user', content: PROMPT }], options: { num_predict: MAX_TOKENS, temperature: 0, seed: 7 } });
    expect(reply.message.content).toBe(direct);
    expect(reply.done).toBe(true);
    expect(reply.done_reason).toBe('length');
    expect(reply.eval_count).toBe(MAX_TOKENS);
  });

  it('streams a chat in pieces that add up to the server\'s reply, ending with done', async () => {
    const stream = await ollama().chat({ model: SYNTHETIC_MODEL_ID, messages: [{ role: 'user', content: PROMPT }], stream: true, options: { num_predict: MAX_TOKENS, temperature: 0, seed: 7 } });
    let text = '';
    let pieces = 0;
    let last: { done: boolean; done_reason?: string; eval_count?: number } | undefined;
    for await (const part of stream) {
      if (part.message.content) {
        text += part.message.content;
        pieces++;
      }
      last = part;
    }
    expect(text).toBe(direct);
    expect(pieces).toBeGreaterThan(1);
    expect(last!.done).toBe(true);
    expect(last!.done_reason).toBe('length');
    expect(last!.eval_count).toBe(MAX_TOKENS);
  });
});
