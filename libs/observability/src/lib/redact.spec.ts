import { REDACTED, isSecretKey, redact, redactText } from './redact';

const KEY = 'sk-proj-PLANTEDsecretKEY0123456789abcdef';

describe('redact', () => {
  it('knows secret key names and leaves token counts alone', () => {
    for (const k of ['apiKey', 'api_key', 'OPENAI_API_KEY', 'x-api-key', 'Authorization', 'password', 'accessToken', 'HF_TOKEN', 'cookie', 'clientSecret']) {
      expect([k, isSecretKey(k)]).toEqual([k, true]);
    }
    for (const k of ['promptTokens', 'completionTokens', 'maxTokens', 'firstTokenMs', 'model', 'author', 'endpoint']) {
      expect([k, isSecretKey(k)]).toEqual([k, false]);
    }
  });

  it('masks secret-looking text', () => {
    expect(redactText(`call failed with key ${KEY}`)).toBe(`call failed with key ${REDACTED}`);
    expect(redactText('Authorization: Bearer abcdefghijklmnop')).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(redactText('GET http://h/v1?api_key=abc123456&x=1')).toBe(`GET http://h/v1?api_key=${REDACTED}&x=1`);
    expect(redactText('OPENAI_API_KEY=hunter2hunter2 npm start')).toBe(`OPENAI_API_KEY=${REDACTED} npm start`);
    expect(redactText('nothing to see, 42 tokens')).toBe('nothing to see, 42 tokens');
  });

  it('redacts nested objects, arrays, headers and errors, and returns the same object when clean', () => {
    const clean = { a: 1, b: ['x', { c: 'y' }], usage: { promptTokens: 3 } };
    expect(redact(clean)).toBe(clean);
    const dirty = {
      details: { headers: { authorization: 'Bearer zzzzzzzzzzzz', 'content-type': 'json' }, env: { OPENAI_API_KEY: KEY, HOME: '/root' } },
      list: [`key ${KEY}`],
      headers: new Headers({ 'x-api-key': 'plain-but-named' }),
      err: Object.assign(new Error(`boom ${KEY}`), { apiKey: 'named' }),
    };
    const out = JSON.stringify(redact(dirty));
    expect(out).not.toContain('PLANTED');
    expect(out).not.toContain('zzzzzzzz');
    expect(out).not.toContain('plain-but-named');
    expect(out).not.toContain('named"');
    expect(out).toContain('/root');
    expect(dirty.details.env.OPENAI_API_KEY).toBe(KEY); // input untouched
  });
});
