import { FlotillaError } from '@flotilla/core';
import { collectChat } from '@flotilla/core/testing';
import { freePort, OllamaSimServer, type SimFault } from '@flotilla/testing';
import { OllamaModelClient } from './ollama.model-client';

describe('OllamaModelClient error mapping (real client, real simulator)', () => {
  const sim = new OllamaSimServer({ models: ['qwen3:4b'], timeScale: 0.01 });
  let host: string;
  beforeAll(async () => {
    host = await sim.start();
  });
  afterAll(() => sim.close());

  const failWith = async (fault: SimFault | undefined, stream = true, model = 'qwen3:4b') => {
    if (fault) sim.scriptNext({ text: 'one two three four', fault });
    const c = await collectChat(new OllamaModelClient({ host, stream }).chat({ model, messages: [{ role: 'user', content: 'x' }] }));
    expect(c.events.some((e) => e.type === 'final')).toBe(false);
    expect(FlotillaError.is(c.error)).toBe(true);
    return c.error as FlotillaError;
  };

  it.each([
    [404, 'modelNotFound', false],
    [503, 'overloaded', true],
    [429, 'overloaded', true],
    [400, 'badRequest', false],
    [500, 'unavailable', true],
    [502, 'unavailable', true],
  ] as const)('HTTP %i -> %s (retryable %s), with the status in details', async (status, kind, retryable) => {
    const e = await failWith({ type: 'status', status });
    expect(e).toMatchObject({ kind, retryable });
    expect(e.details).toMatchObject({ status, model: 'qwen3:4b', endpoint: host.replace('http://', '') });
  });

  it('an unknown model -> modelNotFound, not retryable, in streaming and whole mode', async () => {
    expect(await failWith(undefined, true, 'ghost')).toMatchObject({ kind: 'modelNotFound', retryable: false });
    expect(await failWith(undefined, false, 'ghost')).toMatchObject({ kind: 'modelNotFound', retryable: false });
  });

  it('a refused connection -> unavailable, retryable', async () => {
    const port = await freePort();
    const c = await collectChat(new OllamaModelClient({ host: `http://127.0.0.1:${port}` }).chat({ model: 'm', messages: [{ role: 'user', content: 'x' }] }));
    expect(c.error).toMatchObject({ kind: 'unavailable', retryable: true, details: { code: 'ECONNREFUSED' } });
  });

  it('a mid-stream {"error"} line -> unavailable, retryable, marked midStream', async () => {
    const e = await failWith({ type: 'midStreamError', afterChunks: 2, message: 'an error was encountered while running the model: CUDA error' });
    expect(e).toMatchObject({ kind: 'unavailable', retryable: true, details: { midStream: true } });
    expect(e.message).toContain('CUDA error');
  });

  it('a mid-stream error that says the server is busy -> overloaded', async () => {
    expect(await failWith({ type: 'midStreamError', afterChunks: 1, message: 'server busy, please try again.  maximum pending requests exceeded' })).toMatchObject({
      kind: 'overloaded',
      retryable: true,
    });
  });

  it('a stream that ends without done -> unavailable, retryable, truncated', async () => {
    expect(await failWith({ type: 'truncate', afterChunks: 2 })).toMatchObject({ kind: 'unavailable', retryable: true, details: { truncated: true } });
  });

  it('a connection dropped mid-stream -> unavailable, retryable', async () => {
    expect(await failWith({ type: 'drop', afterChunks: 2 })).toMatchObject({ kind: 'unavailable', retryable: true });
  });

  it('a connection dropped before a whole (stream:false) body -> unavailable, retryable', async () => {
    expect(await failWith({ type: 'drop', afterChunks: 2 }, false)).toMatchObject({ kind: 'unavailable', retryable: true });
  });

  it('an error status in stream:false mode maps the same way', async () => {
    expect(await failWith({ type: 'status', status: 503 }, false)).toMatchObject({ kind: 'overloaded' });
    expect(await failWith({ type: 'midStreamError', afterChunks: 1 }, false)).toMatchObject({ kind: 'unavailable' });
  });

  it('an aborted signal -> aborted, not retryable; an already-aborted one sends nothing', async () => {
    const before = sim.generationRequests().length;
    const c = await collectChat(new OllamaModelClient({ host }).chat({ model: 'qwen3:4b', messages: [] }, { signal: AbortSignal.abort() }));
    expect(c.error).toMatchObject({ kind: 'aborted', retryable: false });
    expect(sim.generationRequests().length).toBe(before);
  });

  it('capabilities map errors too: a refused connection on listModels -> unavailable', async () => {
    const port = await freePort();
    await expect(new OllamaModelClient({ host: `127.0.0.1:${port}` }).listModels()).rejects.toMatchObject({ kind: 'unavailable' });
  });
});
