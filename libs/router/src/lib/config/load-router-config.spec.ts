import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { FlotillaError } from '@flotilla/core';
import { loadRouterConfig, parseRouterConfig } from './load-router-config';
import { backendEndpoints } from '../backend/backend-endpoints';
import { chooseBackend } from '../backend/choose-backend';
import { JSON_SCHEMA_FILE, renderJsonSchema } from '../../../scripts/write-json-schema';

const YAML_OK = `
endpoints:
  - name: small
    kind: ollama
    url: http://127.0.0.1:11434
    slots: 2
    labels: [small]
  - name: big
    kind: openai
    url: http://127.0.0.1:8080/v1
    apiKeyEnv: BIG_KEY
agents:
  reviewer: { model: "mistral:latest", fallbacks: ["qwen3:4b"] }
routing:
  numCtx: { "mistral:latest": 8192 }
`;

function configError(fn: () => unknown): FlotillaError {
  try {
    fn();
  } catch (e) {
    if (FlotillaError.is(e, 'config')) return e;
    throw e;
  }
  throw new Error('expected a config error');
}

describe('router configuration', () => {
  it('parses YAML with defaults applied', () => {
    const c = parseRouterConfig(YAML_OK, 'fleet.yaml');
    expect(c.endpoints[0]).toMatchObject({ name: 'small', slots: 2, maxLoadedModels: 3, labels: ['small'] });
    expect(c.endpoints[1]).toMatchObject({ slots: 1, labels: [], apiKeyEnv: 'BIG_KEY' });
    expect(c.agents['reviewer']).toEqual({ model: 'mistral:latest', fallbacks: ['qwen3:4b'], labels: [] });
    expect(c.routing).toMatchObject({ policy: 'scored', affinity: true, numCtx: { 'mistral:latest': 8192 }, failureThreshold: 3 });
  });

  it('parses the same configuration written as JSON', () => {
    const json = JSON.stringify({ endpoints: [{ name: 'a', kind: 'fixture', cassettes: ['x.json'] }] });
    expect(parseRouterConfig(json, 'fleet.json').endpoints[0]!.cassettes).toEqual(['x.json']);
  });

  it('names the file, the JSON path, the line and what was expected', () => {
    const bad = YAML_OK.replace('slots: 2', 'slots: two').replace('kind: openai', 'kind: vllm');
    const e = configError(() => parseRouterConfig(bad, 'fleet.yaml'));
    expect(e.message).toContain('fleet.yaml:6:12: endpoints[0].slots: expected a number, got "two"');
    expect(e.message).toMatch(/fleet\.yaml:9:11: endpoints\[1\]\.kind: expected one of "ollama", "openai", "llama-cpp", "fixture", got "vllm"/);
    expect(e.details['problems']).toHaveLength(2);
  });

  it('reports missing fields, unknown keys, kind-specific requirements and duplicate names', () => {
    const e = configError(() =>
      parseRouterConfig(
        `endpoints:\n  - { name: a, kind: ollama, slot: 2 }\n  - { name: a, kind: fixture, cassettes: [x] }\nagents:\n  worker: { fallbacks: [] }\n`,
        'f.yaml',
      ),
    );
    expect(e.message).toContain('endpoints[0]: expected no key "slot" (unknown; did you mean "slots"?)');
    expect(e.message).toContain('endpoints[0].url: expected a server URL (required for kind ollama)');
    expect(e.message).toContain('agents.worker.model: expected a string (required)');
    const dup = configError(() => parseRouterConfig(`endpoints:\n  - { name: a, kind: fixture, cassettes: [x] }\n  - { name: a, kind: fixture, cassettes: [y] }\n`, 'f.yaml'));
    expect(dup.message).toContain('f.yaml:3:13: endpoints[1].name: expected a name not used by another endpoint ("a" is)');
  });

  it('a wrong type says the key, what was expected and what was given (never "missing")', () => {
    const e = configError(() => parseRouterConfig('endpoints:\n  - { name: a, kind: ollama, url: "http://h:1", slots: 1.5, maxLoadedModels: "two" }\nrouting: { policy: fastest, cooldownMs: -1 }\n', 'f.yaml'));
    expect(e.message).toContain('f.yaml:2:56: endpoints[0].slots: expected a whole number, got 1.5');
    expect(e.message).toContain('endpoints[0].maxLoadedModels: expected a number, got "two"');
    expect(e.message).toContain('routing.policy: expected one of "scored", "round-robin", "least-connections", got "fastest"');
    expect(e.message).toContain('routing.cooldownMs: expected a number >= 0, got -1');
    expect(e.message).not.toContain('required');
  });

  it('says what a fleet file must be when it is empty, a list or a scalar', () => {
    for (const [text, got] of [['', 'an empty file'], ['- a\n- b\n', 'a list'], ['hello\n', '"hello"']] as const) {
      expect(configError(() => parseRouterConfig(text, 'f.yaml')).message).toBe(`f.yaml:1:1: (top level): expected a mapping with endpoints: [...] (and optionally agents:, routing:), got ${got}`);
    }
  });

  it('refuses binary content, alias bombs and oversized files before reading further', () => {
    expect(configError(() => parseRouterConfig('endpoints:\n  - \u0000\u0001PNG', 'f.yaml')).message).toMatch(/^f\.yaml:2:5: \(top level\): expected a YAML or JSON text file, got binary content/);
    const bomb = 'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nendpoints: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
    expect(configError(() => parseRouterConfig(bomb, 'f.yaml')).message).toContain('f.yaml:1:1: (top level): expected aliases (*name) that expand at most 100 times');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-router-'));
    try {
      const big = path.join(dir, 'big.yaml');
      fs.writeFileSync(big, `# ${'x'.repeat(1_100_000)}\n`);
      expect(configError(() => loadRouterConfig(big)).message).toMatch(/big\.yaml:1:1: \(top level\): expected a configuration file of at most 1048576 bytes/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports syntax errors with a position', () => {
    const e = configError(() => parseRouterConfig('{"endpoints": [', 'f.json'));
    expect(e.message).toMatch(/^f\.json:1:\d+: \(top level\): expected valid JSON/);
  });

  it('accepts only an environment variable name for the API key', () => {
    const e = configError(() => parseRouterConfig(YAML_OK.replace('apiKeyEnv: BIG_KEY', 'apiKeyEnv: sk-123 secret'), 'f.yaml'));
    expect(e.message).toContain('endpoints[1].apiKeyEnv: expected an environment variable name');
    expect(e.message).not.toContain('sk-123');
  });

  it('loads a file and resolves cassette paths against its folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-router-'));
    try {
      const file = path.join(dir, 'fleet.yml');
      fs.writeFileSync(file, 'endpoints:\n  - { name: f, kind: fixture, cassettes: [c/a.json] }\n');
      expect(loadRouterConfig(file).endpoints[0]!.cassettes).toEqual([path.join(dir, 'c/a.json')]);
      const choice = chooseBackend({ env: { FLOTILLA_CONFIG: file } })!;
      expect(choice.source === 'fleet' && choice.fleet.endpoints[0]!.name).toBe('f');
      expect(configError(() => loadRouterConfig(path.join(dir, 'none.yaml'))).message).toContain('cannot read');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('builds a single endpoint from FLOTILLA_BACKEND and the kind\'s variables alone', () => {
    expect(chooseBackend({ env: {} })).toBeUndefined();
    const single = (env: NodeJS.ProcessEnv) => backendEndpoints({ env }, chooseBackend({ env })!)[0];
    expect(single({ FLOTILLA_BACKEND: 'ollama', OLLAMA_HOST: '10.0.0.2:11434' })).toMatchObject({ kind: 'ollama', url: 'http://10.0.0.2:11434' });
    expect(single({ FLOTILLA_BACKEND: 'openai' })).toMatchObject({ kind: 'openai', apiKeyEnv: 'OPENAI_API_KEY', url: 'http://127.0.0.1:8080/v1' });
    expect(single({ FLOTILLA_BACKEND: 'fixture', FLOTILLA_CASSETTES: 'a.json,b.json' })!.cassettes).toEqual(['a.json', 'b.json']);
    expect(single({ FLOTILLA_BACKEND: 'llama-cpp', FLOTILLA_LLAMA_MODELS: 'tiny=/m/t.gguf' })!.modelPaths).toEqual({ tiny: '/m/t.gguf' });
    expect(configError(() => chooseBackend({ env: { FLOTILLA_BACKEND: 'vllm' } })).message).toBe('FLOTILLA_BACKEND: expected one of ollama, openai, llama-cpp, fixture, got "vllm"');
    expect(configError(() => chooseBackend({ env: { FLOTILLA_BACKEND: 'olama' } })).message).toContain('did you mean ollama?');
    expect(configError(() => single({ FLOTILLA_BACKEND: 'ollama', OLLAMA_HOST: 'not a url' })).message).toBe('OLLAMA_HOST: expected a server URL such as http://127.0.0.1:11434, got "not a url"');
  });

  it('names MCP servers (stdio or HTTP) with their settings; a stdio server starts in the file\'s folder', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-router-'));
    try {
      const file = path.join(dir, 'fleet.yaml');
      fs.writeFileSync(
        file,
        [
          'endpoints:\n  - { name: f, kind: fixture, cassettes: [c.json] }',
          'mcp:',
          '  files: { command: node, args: [server.mjs], passEnv: [FILES_TOKEN], env: { LOG: quiet }, tools: [read_file], timeoutMs: 5000 }',
          '  tools-sub: { command: node, cwd: sub }',
          '  docs: { url: "http://127.0.0.1:8931/mcp", bearerTokenEnv: DOCS_TOKEN, connectTimeoutMs: 2000 }',
          '',
        ].join('\n'),
      );
      const c = loadRouterConfig(file);
      expect(c.mcp['files']).toEqual({ command: 'node', args: ['server.mjs'], cwd: dir, env: { LOG: 'quiet' }, passEnv: ['FILES_TOKEN'], headers: {}, tools: ['read_file'], timeoutMs: 5000 });
      expect(c.mcp['tools-sub']!.cwd).toBe(path.join(dir, 'sub'));
      expect(c.mcp['docs']).toEqual({ url: 'http://127.0.0.1:8931/mcp', bearerTokenEnv: 'DOCS_TOKEN', connectTimeoutMs: 2000, args: [], env: {}, passEnv: [], headers: {} });
      expect(parseRouterConfig('endpoints: [{ name: f, kind: fixture, cassettes: [c] }]\n').mcp).toEqual({});
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an MCP server that is both or neither, settings of the other transport, bad names and typos, where they are', () => {
    const e = configError(() =>
      parseRouterConfig(
        [
          'endpoints: [{ name: f, kind: fixture, cassettes: [c] }]',
          'mcp:',
          '  both: { command: node, url: "http://127.0.0.1:1/mcp" }',
          '  neither: { args: [x] }',
          '  web: { url: "http://127.0.0.1:1/mcp", passEnv: [TOKEN] }',
          '  cmd: { command: node, headers: { a: b } }',
          '  "has space": { command: node }',
          '  typo: { command: node, timeout: 5 }',
          '  secret: { url: "http://127.0.0.1:1/mcp", bearerTokenEnv: "my token" }',
          '',
        ].join('\n'),
        'fleet.yaml',
      ),
    );
    expect(e.message).toContain('fleet.yaml:3:9: mcp.both: expected exactly one of command (stdio) or url (streamable HTTP)');
    expect(e.message).toContain('mcp.neither: expected exactly one of command (stdio) or url (streamable HTTP)');
    expect(e.message).toContain('mcp.web.passEnv: expected no passEnv for a server reached by url');
    expect(e.message).toContain('mcp.cmd.headers: expected no headers for a server started by command');
    expect(e.message).toContain('fleet.yaml:7:16: mcp["has space"]: expected a server name of 1-32 letters, digits or "-" (it prefixes its tools\' names), got "has space"');
    expect(e.message).toContain('fleet.yaml:8:26: mcp.typo: expected no key "timeout" (unknown; did you mean "timeoutMs"?)');
    expect(e.message).toMatch(/mcp\.secret\.bearerTokenEnv: expected an environment variable name/);
  });

  it('publishes a JSON Schema generated from the zod declaration, kept up to date', () => {
    expect(fs.readFileSync(JSON_SCHEMA_FILE, 'utf8')).toBe(renderJsonSchema());
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const validate = ajv.compile(JSON.parse(renderJsonSchema()));
    expect(validate(JSON.parse(JSON.stringify(parseRouterConfig(YAML_OK))))).toBe(true);
    expect(validate({ endpoints: [{ name: 'x', kind: 'nope' }] })).toBe(false);
  });
});
