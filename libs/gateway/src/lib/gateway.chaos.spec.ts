import 'reflect-metadata';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { CHAT_MODEL, GatewayFixture, type SimProcess, spawnSim } from '../spec/gateway-fixture';

/** A backend process killed -9 in the middle of a stream: each client sees an error, never a clean end. */
describe('chaos: a backend killed mid-stream', () => {
  const fx = new GatewayFixture();
  let sim: SimProcess | undefined;
  afterEach(async () => {
    await fx.close();
    await sim?.kill();
  });

  const start = async () => {
    // 20 tokens/s in real time: the reply takes about a second, the kill lands in the middle.
    sim = await spawnSim(['--models', CHAT_MODEL, '--time-scale', '1', '--load-ms', '0', '--tokens-per-sec', '20']);
    await fx.start({ endpoints: [{ name: 'doomed', kind: 'ollama', url: sim.url, slots: 2 }] });
  };
  const prompt = 'tell me a fairly long story about ships and the sea and the stars';

  it('the openai client gets an error event after the text so far', async () => {
    await start();
    const client = new OpenAI({ baseURL: `${fx.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: prompt }], stream: true });
    let text = '';
    const read = (async () => {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (text.length > 0) void sim!.kill();
      }
    })();
    await expect(read).rejects.toMatchObject({ error: { type: 'api_error', message: expect.stringMatching(/connection lost/) } });
    expect(text.length).toBeGreaterThan(0);
    // The gateway answers the next call with a status, not a hang.
    await expect(client.chat.completions.create({ model: CHAT_MODEL, messages: [{ role: 'user', content: 'again' }] })).rejects.toMatchObject({ status: 503 });
  }, 30_000);

  it('the ollama client gets an {"error"} line after the text so far', async () => {
    await start();
    const client = new Ollama({ host: fx.url });
    let text = '';
    const read = (async () => {
      for await (const part of await client.chat({ model: CHAT_MODEL, messages: [{ role: 'user', content: prompt }], stream: true })) {
        text += part.message.content;
        if (text.length > 0) void sim!.kill();
      }
    })();
    await expect(read).rejects.toThrow(/connection lost/);
    expect(text.length).toBeGreaterThan(0);
  }, 30_000);
});
