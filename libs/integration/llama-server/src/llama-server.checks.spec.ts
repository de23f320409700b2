import Ajv from 'ajv';
import { FlotillaError, type ChatRequest, type FinalEvent, type OutputSchema } from '@flotilla/core';
import { collectChat, CONTRACT_SCHEMA } from '@flotilla/core/testing';
import { OpenAICompatibleModelClient } from '@flotilla/adapter-openai';
import { PLAN, VERDICT } from '@flotilla/agents';
import { tap } from 'rxjs';
import { ensureLlamaServerBinary } from '@flotilla/testing';
import { decodedOf, pollUntil, readMetrics, readSlots } from './lib/llama-server.probes';
import { startSyntheticLlamaServer, SYNTHETIC_MODEL_ID, type SyntheticLlamaServer } from './lib/synthetic-llama-server';

// What llama.cpp's own server does with OpenAICompatibleModelClient beyond the shared contract:
// structured output for the agents' schemas, usage from include_usage, context overflow,
// slot accounting, and a server that dies mid-stream. Same setup as the contract spec.

const BUILD_TIMEOUT_MS = 15 * 60_000;
// jest.config.cjs sets 60 s too, but a root multi-project run ignores per-project testTimeout.
jest.setTimeout(60_000);
const SLOTS = 2;
const SLOT_CTX = 16384;

let binary: string;
let served: SyntheticLlamaServer;
let client: OpenAICompatibleModelClient;

/** llama.cpp's own request fields, sent through the adapter's provider options: every reply runs to its max_tokens. */
const RUN_TO_LENGTH = { openai: { ignore_eos: true } };

function chatRequest(content: string, over: Partial<ChatRequest> = {}): ChatRequest {
  return { model: SYNTHETIC_MODEL_ID, messages: [{ role: 'user', content }], ...over };
}

function finalOf(events: { type: string }[]): FinalEvent {
  const finals = events.filter((e): e is FinalEvent => e.type === 'final');
  expect(finals).toHaveLength(1);
  return finals[0]!;
}

beforeAll(async () => {
  binary = await ensureLlamaServerBinary();
  served = await startSyntheticLlamaServer({ binary, slots: SLOTS, ctx: SLOTS * SLOT_CTX, defaultMaxTokens: 64 });
  client = new OpenAICompatibleModelClient({ baseURL: `${served.server.baseURL}/v1`, env: {} });
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  await served?.dispose();
});

describe('llama-server: discovery', () => {
  it('lists the served model and reports the per-slot context', async () => {
    const models = await client.listModels();
    expect(models.map((m) => m.id)).toContain(SYNTHETIC_MODEL_ID);
    expect(await client.contextLength(SYNTHETIC_MODEL_ID)).toBe(SLOT_CTX);
    expect((await client.health()).ok).toBe(true);
  });
});

describe('llama-server: connection reuse', () => {
  // llama-server closes the connection after each streamed response while answering
  // `Keep-Alive`; @flotilla/http resends a request whose reused socket the server had
  // closed (request.reusedSocket + ECONNRESET), so back-to-back calls all succeed.
  it('back-to-back streamed calls over the default transport all succeed', async () => {
    const defaults = new OpenAICompatibleModelClient({ baseURL: `${served.server.baseURL}/v1`, env: {} });
    for (let i = 0; i < 3; i++) {
      const c = await collectChat(defaults.chat(chatRequest(`Call ${i}.`, { options: { maxTokens: 8 } })));
      expect(c.error).toBeUndefined();
    }
  });
});

describe('llama-server: structured output (response_format json_schema)', () => {
  const cases: [string, OutputSchema<unknown>][] = [
    ['PLAN', PLAN],
    ['VERDICT', VERDICT],
  ];
  for (const [name, schema] of cases) {
    it(`replies that parse and validate against the agents' ${name} schema`, async () => {
      for (let seed = 1; seed <= 3; seed++) {
        const c = await collectChat(
          client.chat(chatRequest(`Give the ${name} for harbour works, take ${seed}.`, { format: schema.jsonSchema, options: { maxTokens: 12000, seed } })),
          30_000,
        );
        expect(c.error).toBeUndefined();
        const final = finalOf(c.events);
        expect(final.finishReason).toBe('stop');
        const parsed = schema.parse(JSON.parse(final.message.content));
        expect(parsed).toMatchObject({ ok: true });
      }
    });
  }

  it('enforces the contract schema except number bounds (llama.cpp ignores minimum/maximum on `number`)', async () => {
    const { ratio: _ratio, ...properties } = CONTRACT_SCHEMA['properties'] as Record<string, unknown>;
    const withoutRatio = { ...CONTRACT_SCHEMA, properties, required: (CONTRACT_SCHEMA['required'] as string[]).filter((k) => k !== 'ratio') };
    const validate = new Ajv({ strict: true, allowUnionTypes: true }).compile(withoutRatio);
    for (let seed = 1; seed <= 3; seed++) {
      const c = await collectChat(client.chat(chatRequest('Describe a harbour.', { format: CONTRACT_SCHEMA, options: { maxTokens: 4096, seed } })));
      const value = JSON.parse(finalOf(c.events).message.content) as Record<string, unknown>;
      // Present and a JSON number, but any number: exponents such as 7e52 parse to Infinity.
      expect(typeof value['ratio']).toBe('number');
      delete value['ratio'];
      expect(validate(value) ? [] : validate.errors).toEqual([]);
    }
  });
});

describe('llama-server: usage (stream_options.include_usage)', () => {
  it('sends usage in a last chunk with no choices, on the wire', async () => {
    const res = await fetch(`${served.server.baseURL}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...chatRequest('hello'), max_tokens: 8, stream: true, stream_options: { include_usage: true } }),
    });
    expect(res.status).toBe(200);
    const data = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice('data: '.length));
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { choices: unknown[]; usage?: Record<string, number> });
    const withUsage = chunks.filter((c) => c.usage);
    expect(withUsage).toHaveLength(1);
    expect(chunks.at(-1)).toBe(withUsage[0]);
    expect(chunks.at(-1)!.choices).toEqual([]);
    expect(chunks.at(-1)!.usage).toMatchObject({ completion_tokens: 8, prompt_tokens: expect.any(Number) });
  });

  it("reaches the final event as the server's own token counts", async () => {
    const content = 'How deep is the harbour?';
    const c = await collectChat(client.chat(chatRequest(content, { options: { maxTokens: 40 }, providerOptions: RUN_TO_LENGTH })));
    const final = finalOf(c.events);
    expect(final.finishReason).toBe('length');
    // Byte tokenizer and ChatML: <|im_start|> "user\n" content <|im_end|> "\n" <|im_start|> "assistant\n".
    expect(final.usage.promptTokens).toBe(1 + 5 + Buffer.byteLength(content) + 1 + 1 + 1 + 10);
    // One printable byte a token.
    expect(final.usage.completionTokens).toBe(40);
    expect(final.message.content).toHaveLength(40);
  });
});

describe('llama-server: context overflow', () => {
  it('a prompt longer than the slot context fails as contextOverflow with the numbers', async () => {
    const c = await collectChat(client.chat(chatRequest('x'.repeat(SLOT_CTX + 500))));
    expect(c.events.some((e) => e.type === 'final')).toBe(false);
    expect(FlotillaError.is(c.error, 'contextOverflow')).toBe(true);
    const e = c.error as FlotillaError;
    expect(e.retryable).toBe(false);
    expect(e.details).toMatchObject({ status: 400, type: 'exceed_context_size_error', contextLength: SLOT_CTX });
    expect(e.details['promptTokens']).toBeGreaterThan(SLOT_CTX);
  });
});

describe('llama-server: slot accounting (-np 2)', () => {
  it('runs at most 2 of 4 concurrent long generations at once and queues the rest', async () => {
    const tokens = [2500, 2501, 2502, 2503];
    const samples: { processing: number; deferred: number }[] = [];
    let running = true;
    const sampler = (async () => {
      while (running) {
        const [slots, metrics] = await Promise.all([readSlots(served.server.baseURL), readMetrics(served.server.baseURL)]);
        samples.push({ processing: slots.filter((s) => s.is_processing).length, deferred: metrics['requests_deferred'] ?? 0 });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const results = await Promise.all(
      tokens.map((n, i) => collectChat(client.chat(chatRequest(`Long answer number ${i}.`, { options: { maxTokens: n }, providerOptions: RUN_TO_LENGTH })), 60_000)),
    );
    running = false;
    await sampler;

    for (const [i, c] of results.entries()) {
      expect(c.error).toBeUndefined();
      expect(finalOf(c.events).usage.completionTokens).toBe(tokens[i]);
    }
    expect(Math.max(...samples.map((s) => s.processing))).toBe(SLOTS);
    expect(Math.max(...samples.map((s) => s.deferred))).toBe(tokens.length - SLOTS);
    expect(samples.every((s) => s.processing <= SLOTS)).toBe(true);
    // Every slot ran two of the four, one after the other.
    const slots = await readSlots(served.server.baseURL);
    expect(slots.map((s) => s.is_processing)).toEqual([false, false]);
    // Timing agrees: the two that waited saw their first token only after an earlier reply ended.
    const timings = results.map((c) => finalOf(c.events).timings);
    const byFirstToken = [...timings].sort((a, b) => a.firstTokenMs! - b.firstTokenMs!);
    const firstDone = Math.min(byFirstToken[0]!.totalMs!, byFirstToken[1]!.totalMs!);
    expect(byFirstToken[2]!.firstTokenMs!).toBeGreaterThan(firstDone - 50);
  });
});

describe('llama-server: a server that dies mid-stream', () => {
  it('fails the call as unavailable, retryably, with no final event', async () => {
    const doomed = await startSyntheticLlamaServer({ binary, slots: 1, ctx: 8192 });
    try {
      const dying = new OpenAICompatibleModelClient({ baseURL: `${doomed.server.baseURL}/v1`, env: {} });
      let deltas = 0;
      const c = await collectChat(
        dying.chat(chatRequest('Talk until stopped.', { providerOptions: { openai: { ignore_eos: true, n_predict: 6000 } } })).pipe(
          tap((e) => {
            if (e.type === 'delta' && ++deltas === 2) doomed.server.killNow('SIGKILL');
          }),
        ),
      );
      expect(deltas).toBeGreaterThanOrEqual(2);
      expect(c.events.some((e) => e.type === 'final')).toBe(false);
      expect(FlotillaError.is(c.error, 'unavailable')).toBe(true);
      expect((c.error as FlotillaError).retryable).toBe(true);
    } finally {
      await doomed.dispose();
    }
  });
});

describe('llama-server: cancellation frees the slot', () => {
  it('unsubscribing mid-stream stops generation on the server (/slots)', async () => {
    const nPredict = 6007;
    const sub = client
      .chat(chatRequest('Talk until stopped.', { options: { maxTokens: nPredict }, providerOptions: RUN_TO_LENGTH }))
      .subscribe({ error: () => undefined });
    const started = await pollUntil(async () => (await readSlots(served.server.baseURL)).some((s) => s.is_processing && s.params?.n_predict === nPredict), 5000);
    expect(started).toBe(true);
    sub.unsubscribe();
    const stopped = await pollUntil(async () => {
      const slot = (await readSlots(served.server.baseURL)).find((s) => s.params?.n_predict === nPredict);
      return slot !== undefined && !slot.is_processing && decodedOf(slot) < nPredict;
    }, 5000);
    expect(stopped).toBe(true);
  });
});
