import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FlotillaError, createFlotilla, defineAgent } from '@flotilla/core';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { loadCassette } from '@flotilla/adapter-fixture';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: a real Ollama wire on loopback
import { OllamaSimServer } from '@flotilla/testing';
import { endpointKinds } from '../kinds/endpoint-kinds';
import { backendEndpoints } from './backend-endpoints';
import { type BackendSpec, chooseBackend } from './choose-backend';
import { openBackend } from './open-backend';

// The one backend factory: which backend a command line and environment choose, what it
// refuses before anything starts, and what it opens (a fleet, one endpoint, a recording).

const CASSETTE = path.resolve(__dirname, '../../../../../apps/demo/cassettes/reverse-string.json');

/** A kind whose client counts its close() calls and its probes: what the backend owns is visible. */
class ClosableClient extends ScriptedModelClient {
  closed = 0;
  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
}
const made: ClosableClient[] = [];
let probes = 0;
endpointKinds.register({
  name: 'closable',
  description: 'a scripted client that says when it is closed',
  fields: {},
  create: () => {
    const client = new ClosableClient((req) => `echo: ${req.messages.at(-1)!.content}`);
    made.push(client);
    return { client, probe: { listModels: async () => (probes++, ['m']) } };
  },
});

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-backend-'));
  made.length = 0;
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (FlotillaError.is(e, 'config')) return e.message;
    throw e;
  }
  throw new Error('expected a config error');
}
async function rejection(work: Promise<unknown>): Promise<string> {
  try {
    await work;
  } catch (e) {
    if (FlotillaError.is(e, 'config')) return e.message;
    throw e;
  }
  throw new Error('expected a config error');
}

describe('chooseBackend', () => {
  it('one order: --config, --backend, FLOTILLA_CONFIG, FLOTILLA_BACKEND, the default kind', () => {
    const fleet = write('fleet.yaml', `endpoints:\n  - { name: tapes, kind: fixture, cassettes: ["${CASSETTE}"] }\n`);
    const env = { FLOTILLA_CONFIG: fleet, FLOTILLA_BACKEND: 'openai' };
    const what = (spec: BackendSpec) => {
      const c = chooseBackend(spec);
      return c === undefined ? 'none' : c.source === 'fleet' ? `fleet ${path.basename(c.file)}` : c.kind.name;
    };
    expect(what({ config: fleet, kind: 'ollama', env })).toBe('fleet fleet.yaml');
    expect(what({ kind: 'ollama', env })).toBe('ollama');
    expect(what({ env })).toBe('fleet fleet.yaml');
    expect(what({ env: { FLOTILLA_BACKEND: 'openai' }, defaultKind: 'fixture' })).toBe('openai');
    expect(what({ env: {}, defaultKind: 'fixture' })).toBe('fixture');
    expect(what({ env: {} })).toBe('none');
  });

  it('an unknown kind names its source and lists the kinds, the default first', () => {
    expect(configError(() => chooseBackend({ kind: 'gpt', defaultKind: 'fixture', env: {} }))).toBe('--backend: expected one of fixture, ollama, openai, llama-cpp, closable, got "gpt"');
    expect(configError(() => chooseBackend({ env: { FLOTILLA_BACKEND: 'olama' } }))).toBe(
      'FLOTILLA_BACKEND: expected one of ollama, openai, llama-cpp, fixture, closable, got "olama"; did you mean ollama?',
    );
  });

  it('refuses a flag the chosen backend would ignore, naming the kinds that take it', () => {
    const refused = (spec: BackendSpec) => configError(() => chooseBackend({ defaultKind: 'fixture', env: {}, ...spec }));
    expect(refused({ flags: { host: 'http://127.0.0.1:1' } })).toBe('--host: only for --backend ollama or openai (this run uses fixture)');
    expect(refused({ kind: 'ollama', flags: { models: { tiny: CASSETTE } } })).toBe('--gguf: only for --backend llama-cpp (this run uses ollama)');
    expect(refused({ kind: 'ollama', flags: { cassettes: [CASSETTE] } })).toBe('--cassette: only for --backend fixture (this run uses ollama); add --record to record this run into it');
    expect(refused({ kind: 'ollama', options: { pace: 'recorded' } })).toBe('--pace: only for --backend fixture (this run uses ollama)');
    expect(refused({ flags: { cassettes: [CASSETTE] }, options: { pace: 'fast', speed: undefined } })).toBe('--pace: expected one of "instant", "recorded", got "fast"');
    expect(refused({ flags: { cassettes: [path.join(dir, 'none.json')] } })).toContain('none.json: no such file to replay; record one first with --backend ollama|openai|llama-cpp|closable --record');
    expect(refused({ kind: 'llama-cpp', flags: { models: { tiny: path.join(dir, 'none.gguf') } } })).toContain('--gguf: tiny=');
    const fleet = write('fleet.yaml', `endpoints:\n  - { name: tapes, kind: fixture, cassettes: ["${CASSETTE}"] }\n`);
    expect(refused({ config: fleet, flags: { host: 'http://127.0.0.1:1' } })).toBe('--host: not used with a fleet configuration (its endpoints give url)');
  });

  it('--record needs a live backend and a cassette to write', () => {
    expect(configError(() => chooseBackend({ defaultKind: 'fixture', record: true, flags: { cassettes: ['out.json'] }, env: {} }))).toMatch(
      /^--record: records a live backend's calls into --cassette <file>, and --backend fixture replays recordings; choose --backend ollama, openai, llama-cpp or closable/,
    );
    expect(configError(() => chooseBackend({ kind: 'ollama', record: true, env: {} }))).toBe('--record: expected --cassette <file> to write the recordings to');
    // The cassette to record into need not exist yet.
    expect(chooseBackend({ kind: 'ollama', record: true, flags: { cassettes: [path.join(dir, 'new.json')] }, env: {} })).toMatchObject({ source: 'single' });
  });
});

describe('openBackend', () => {
  const agent = defineAgent({ name: 'writer', model: 'm', prompt: (s: string) => s });

  it('one fixture endpoint from the flags, the environment, then the caller\'s defaults; its pace as an option', async () => {
    const other = write('other.json', fs.readFileSync(CASSETTE, 'utf8'));
    const fromDefaults = await openBackend({ defaultKind: 'fixture', defaults: { cassettes: [CASSETTE] }, env: {} });
    expect(fromDefaults).toMatchObject({ replay: 'instant', description: 'fixture: replaying 1 cassette(s) at instant pace (hand-written, not recorded from a real model)' });
    const fromEnv = backendEndpoints({ defaults: { cassettes: [CASSETTE] }, env: { FLOTILLA_CASSETTES: other } }, chooseBackend({ defaultKind: 'fixture', env: {} })!);
    expect(fromEnv[0]!.cassettes).toEqual([other]);
    const paced = await openBackend({ defaultKind: 'fixture', flags: { cassettes: [CASSETTE] }, options: { pace: 'recorded' }, env: {} });
    expect(paced.replay).toBe('recorded');
    // Default options apply to the kinds that have them, and are no error for others.
    expect((await openBackend({ defaultKind: 'fixture', flags: { cassettes: [CASSETTE] }, defaultOptions: { pace: 'recorded', speed: 4 }, env: {} })).replay).toBe('recorded');
    expect(await rejection(openBackend({ defaultKind: 'fixture', env: {} }))).toMatch(/^--backend fixture: no cassettes; pass --cassette <file>/);
    expect(await rejection(openBackend({ defaultKind: 'fixture', flags: { cassettes: [CASSETTE] }, options: { pace: 'fast' }, env: {} }))).toBe('--pace: expected one of "instant", "recorded", got "fast"');
  });

  it('a kind without fromCommandLine gets its endpoint from the flags of its fields; what the backend made is its client\'s to close', async () => {
    const backend = await openBackend({ kind: 'closable', env: {} });
    expect(backend).toMatchObject({ description: 'closable closable' });
    expect(backend.replay).toBeUndefined();
    const flotilla = createFlotilla({ client: backend.client });
    expect((await flotilla.run(agent, 'hello').result).output).toBe('echo: hello');
    await flotilla.close();
    expect(made.map((c) => c.closed)).toEqual([1]);
  });

  it('records every call of a live backend into the cassette; closing the recorder closes the live client', async () => {
    const cassette = path.join(dir, 'rec.json');
    const backend = await openBackend({ kind: 'closable', record: true, flags: { cassettes: [cassette] }, env: {} });
    expect(backend.description).toBe(`closable closable, recording every call into ${cassette}`);
    const flotilla = createFlotilla({ client: backend.client });
    expect((await flotilla.run(agent, 'hello').result).status).toBe('succeeded');
    await flotilla.close();
    expect(made.map((c) => c.closed)).toEqual([1]);
    expect(Object.keys(loadCassette(cassette).entries)).toHaveLength(1);
    const replayed = await openBackend({ defaultKind: 'fixture', flags: { cassettes: [cassette] }, env: {} });
    expect((await createFlotilla({ client: replayed.client }).run(agent, 'hello').result).output).toBe('echo: hello');
  });

  it('a fleet file: probed once, described with its file, its agents section as the engine configuration; closing it stops everything', async () => {
    const fleet = write('fleet.yaml', 'endpoints:\n  - { name: a, kind: closable }\n  - { name: b, kind: closable }\nagents:\n  writer: { model: m }\nrouting: { healthIntervalMs: 20 }\n');
    probes = 0;
    const backend = await openBackend({ config: fleet, env: {} });
    expect(backend).toMatchObject({ description: 'router over a (closable, 1 slot(s)), b (closable, 1 slot(s)) (from fleet.yaml)', config: { agents: { writer: { model: 'm' } } } });
    expect(backend.replay).toBeUndefined();
    expect(probes).toBeGreaterThanOrEqual(2);
    const flotilla = createFlotilla({ client: backend.client, config: backend.config });
    expect((await flotilla.run(agent, 'hi').result).status).toBe('succeeded');
    await flotilla.close();
    expect(made.map((c) => c.closed)).toEqual([1, 1]);
    const afterClose = probes;
    await new Promise((r) => setTimeout(r, 100));
    expect(probes).toBe(afterClose);
    const late = await createFlotilla({ client: backend.client }).run(agent, 'again').result;
    expect(late.error).toMatchObject({ kind: 'unavailable', message: expect.stringContaining('is closed') });
  });

  it('a fleet of fixture endpoints replays (instant only when every endpoint does)', async () => {
    const instant = write('a.yaml', `endpoints:\n  - { name: t, kind: fixture, cassettes: ["${CASSETTE}"] }\n`);
    const mixed = write('b.yaml', `endpoints:\n  - { name: t, kind: fixture, cassettes: ["${CASSETTE}"] }\n  - { name: u, kind: fixture, cassettes: ["${CASSETTE}"], options: { pace: recorded } }\n`);
    const live = write('c.yaml', `endpoints:\n  - { name: t, kind: fixture, cassettes: ["${CASSETTE}"] }\n  - { name: u, kind: closable }\n`);
    const replayOf = async (file: string) => {
      const b = await openBackend({ config: file, env: {} });
      await createFlotilla({ client: b.client }).close();
      return b.replay;
    };
    expect([await replayOf(instant), await replayOf(mixed), await replayOf(live)]).toEqual(['instant', 'recorded', undefined]);
  });

  it('one Ollama endpoint from OLLAMA_HOST, through the real adapter', async () => {
    const sim = new OllamaSimServer({ models: ['m'], timeScale: 0 });
    await sim.start();
    try {
      const backend = await openBackend({ defaultKind: 'ollama', env: { OLLAMA_HOST: sim.url } });
      expect(backend.description).toBe(`ollama at ${new URL(sim.url).host}`);
      const flotilla = createFlotilla({ client: backend.client });
      expect((await flotilla.run(agent, 'hi').result).status).toBe('succeeded');
      await flotilla.close();
      expect(sim.generationRequests()).toHaveLength(1);
    } finally {
      await sim.close();
    }
  });
});
