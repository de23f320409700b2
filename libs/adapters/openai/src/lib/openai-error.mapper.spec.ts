import { FlotillaError } from '@flotilla/core';
import OpenAI from 'openai';
import { kindForStatus, redact, toFlotillaError } from './openai-error.mapper';

const ctx = { model: 'm', endpoint: '127.0.0.1:1', phase: 'request' as const };

describe('toFlotillaError', () => {
  it.each([
    [400, 'badRequest'],
    [401, 'config'],
    [403, 'config'],
    [404, 'modelNotFound'],
    [408, 'timeout'],
    [413, 'badRequest'],
    [422, 'badRequest'],
    [429, 'overloaded'],
    [500, 'unavailable'],
    [502, 'unavailable'],
    [503, 'overloaded'],
    [504, 'unavailable'],
  ])('maps status %i to %s', (status, kind) => {
    expect(kindForStatus(status)).toBe(kind);
    const error = OpenAI.APIError.generate(status, { error: { message: 'nope', type: 'x' } }, undefined, new Headers());
    expect(toFlotillaError(error, ctx).kind).toBe(kind);
  });

  it('recognises context overflow by type or code, before the status', () => {
    const llama = OpenAI.APIError.generate(400, { error: { message: 'too long', type: 'exceed_context_size_error', n_prompt_tokens: 9, n_ctx: 4 } }, undefined, new Headers());
    expect(toFlotillaError(llama, ctx)).toMatchObject({ kind: 'contextOverflow', details: { promptTokens: 9, contextLength: 4 } });
    const openai = OpenAI.APIError.generate(400, { error: { message: 'too long', code: 'context_length_exceeded' } }, undefined, new Headers());
    expect(toFlotillaError(openai, ctx).kind).toBe('contextOverflow');
    const inStream = new OpenAI.APIError(undefined, { message: 'too long', type: 'exceed_context_size_error' }, undefined, undefined);
    expect(toFlotillaError(inStream, { ...ctx, phase: 'stream' }).kind).toBe('contextOverflow');
  });

  it('keeps FlotillaErrors as they are and maps the SDK abort to aborted', () => {
    const own = new FlotillaError('badOutput', 'x');
    expect(toFlotillaError(own, ctx)).toBe(own);
    expect(toFlotillaError(new OpenAI.APIUserAbortError(), ctx).kind).toBe('aborted');
    expect(toFlotillaError(new OpenAI.APIConnectionTimeoutError(), ctx).kind).toBe('timeout');
  });

  it('redacts the secret from the message and replaces a cause that mentions it', () => {
    const secret = 'sk-abc123';
    const error = OpenAI.APIError.generate(401, { error: { message: `bad key ${secret}` } }, undefined, new Headers());
    const mapped = toFlotillaError(error, { ...ctx, secret });
    expect(mapped.message).not.toContain(secret);
    expect(mapped.message).toContain('[redacted]');
    expect(mapped.cause).not.toBe(error);
    expect(String((mapped.cause as Error).message)).not.toContain(secret);
    const clean = OpenAI.APIError.generate(500, { error: { message: 'boom' } }, undefined, new Headers());
    expect(toFlotillaError(clean, { ...ctx, secret }).cause).toBe(clean);
    expect(redact('a sk-abc123 b sk-abc123', secret)).toBe('a [redacted] b [redacted]');
    expect(redact('nothing', undefined)).toBe('nothing');
  });
});
