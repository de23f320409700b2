import Ajv2020 from 'ajv/dist/2020';
import { FlotillaError } from '@flotilla/core';
import { parseRouterConfig, validateRouterConfig } from './load-router-config';
import { routerConfigJsonSchema } from './router-config.schema';

// What an endpoint's kind says about its entry in a fleet file: the kind exists, the fields
// it requires are there, its options are its own. Said in the file's words, with the place.

function problems(text: string): string {
  try {
    parseRouterConfig(text, 'f.yaml');
  } catch (e) {
    if (FlotillaError.is(e, 'config')) return e.message;
    throw e;
  }
  throw new Error('expected a config error');
}

describe('endpoint kinds in a fleet file', () => {
  it('an unknown kind lists the registered ones, with the closest when one is close', () => {
    expect(problems('endpoints:\n  - { name: a, kind: olama, url: "http://h:1" }\n')).toBe(
      'f.yaml:2:22: endpoints[0].kind: expected one of "ollama", "openai", "llama-cpp", "fixture", got "olama"; did you mean "ollama"?',
    );
    expect(problems('endpoints:\n  - { name: a, kind: vllm }\n')).toBe('f.yaml:2:22: endpoints[0].kind: expected one of "ollama", "openai", "llama-cpp", "fixture", got "vllm"');
  });

  it('each kind names the fields it requires, in its words', () => {
    const text = 'endpoints:\n  - { name: a, kind: ollama }\n  - { name: b, kind: openai }\n  - { name: c, kind: llama-cpp }\n  - { name: d, kind: fixture }\n';
    expect(problems(text).split('\n')).toEqual([
      'f.yaml:2:5: endpoints[0].url: expected a server URL (required for kind ollama)',
      'f.yaml:3:5: endpoints[1].url: expected a server URL (required for kind openai)',
      'f.yaml:4:5: endpoints[2].modelPaths: expected a GGUF file per model name (modelPaths: { name: path }) (required for kind llama-cpp)',
      'f.yaml:5:5: endpoints[3].cassettes: expected cassette files to replay (required for kind fixture)',
    ]);
  });

  it("checks an entry's options against its kind's schema, with the closest key for a typo", () => {
    const ok = parseRouterConfig('endpoints:\n  - { name: d, kind: fixture, cassettes: [a.json], options: { pace: recorded, speed: 4 } }\n');
    expect(ok.endpoints[0]!.options).toEqual({ pace: 'recorded', speed: 4 });
    expect(problems('endpoints:\n  - { name: d, kind: fixture, cassettes: [a.json], options: { pace: fast } }\n')).toBe(
      'f.yaml:2:69: endpoints[0].options.pace: expected one of "instant", "recorded", got "fast"',
    );
    expect(problems('endpoints:\n  - { name: d, kind: fixture, cassettes: [a.json], options: { pase: recorded } }\n')).toBe(
      'f.yaml:2:63: endpoints[0].options: expected no key "pase" (unknown; did you mean "pace"?)',
    );
    expect(problems('endpoints:\n  - { name: a, kind: ollama, url: "http://h:1", options: { pace: recorded } }\n')).toContain('endpoints[0].options: expected no options (kind ollama takes none)');
  });

  it('validates objects in memory the same way', () => {
    expect(() => validateRouterConfig({ endpoints: [{ name: 'a', kind: 'fixture' }] }, 'mine')).toThrow('mine: endpoints[0].cassettes: expected cassette files to replay (required for kind fixture)');
  });

  it('the published JSON Schema says the same per kind: names, required fields, options', () => {
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(routerConfigJsonSchema());
    expect(validate({ endpoints: [{ name: 'a', kind: 'ollama', url: 'http://h:1' }] })).toBe(true);
    expect(validate({ endpoints: [{ name: 'a', kind: 'ollama' }] })).toBe(false);
    expect(validate({ endpoints: [{ name: 'a', kind: 'llama-cpp', url: 'http://h:1' }] })).toBe(false);
    expect(validate({ endpoints: [{ name: 'd', kind: 'fixture', cassettes: ['a.json'], options: { pace: 'recorded' } }] })).toBe(true);
    expect(validate({ endpoints: [{ name: 'd', kind: 'fixture', cassettes: ['a.json'], options: { pace: 'fast' } }] })).toBe(false);
    expect(validate({ endpoints: [{ name: 'a', kind: 'ollama', url: 'http://h:1', options: {} }] })).toBe(false);
  });
});
