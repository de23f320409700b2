import 'reflect-metadata';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import type { Observable } from 'rxjs';
import { z } from 'zod';
import { type ChatCallOptions, type ChatEvent, type ChatRequest, type ModelClient, createFlotilla, defineAgent } from '@flotilla/core';
import { FixtureModelClient, loadCassette } from '@flotilla/adapter-fixture';
import { createFleetFromConfig, endpointKinds, loadRouterConfig } from '@flotilla/router';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the CLI's own test runner: its real main, in process
import { runCli } from '../../../../apps/cli/src/testing/run-cli';
// eslint-disable-next-line @nx/enforce-module-boundaries -- the demo's real main, in process
import { main as demo } from '../../../../apps/demo/src/main';

// The endpoint-kind registry, proven from outside the router: a kind registered here (its
// fields, options, command line, client and probe), used from a fleet file, from the CLI's
// --backend and --config, and from the demo, without editing the router, the CLI or the demo.

const ROOT = path.resolve(__dirname, '../../../..');
const PIPELINE = path.join(ROOT, 'examples/coding-pipeline/chain.yaml');
const PIPELINE_CASSETTE = path.join(ROOT, 'examples/coding-pipeline/cassettes/palindrome.json');
const PIPELINE_INPUT = 'Write a function that checks whether a string is a palindrome, ignoring case and punctuation, with tests';
const DEMO_CASSETTE = path.join(ROOT, 'apps/demo/cassettes/reverse-string.json');

/** Cassettes behind a wrapper that counts the calls it passed on, and says when it is closed. */
class TapeDeck implements ModelClient {
  readonly name: string;
  calls = 0;
  closed = 0;
  constructor(
    private readonly tapes: FixtureModelClient,
    readonly label: string,
  ) {
    this.name = `tape-deck:${label}`;
  }
  chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent> {
    this.calls++;
    return this.tapes.chat(request, options);
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

const decks: TapeDeck[] = [];
endpointKinds.register({
  name: 'tape-deck',
  description: 'recorded cassettes behind a deck that counts its calls',
  fields: { cassettes: { expected: 'cassettes for the deck', required: true } },
  options: z.strictObject({ label: z.string().default('deck') }),
  create(endpoint, { options }) {
    const deck = new TapeDeck(new FixtureModelClient({ cassette: endpoint.cassettes! }), options.label);
    decks.push(deck);
    const recorded = () => [...new Set(endpoint.cassettes!.flatMap((f) => Object.values(loadCassette(f).entries).map((e) => e.request.model)))];
    return { client: deck, probe: { listModels: async () => recorded() }, describe: () => `a tape deck "${options.label}" over ${endpoint.cassettes!.length} cassette(s)` };
  },
});

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-tape-deck-'));
  decks.length = 0;
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
};
const lastResult = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!).result;

describe('an endpoint kind registered outside the router', () => {
  it('serves a fleet file: its fields and options checked, its client routed to and closed with the fleet', async () => {
    const file = write('fleet.yaml', `endpoints:\n  - { name: deck, kind: tape-deck, cassettes: ["${DEMO_CASSETTE}"], options: { label: left } }\n`);
    const fleet = createFleetFromConfig(loadRouterConfig(file));
    await fleet.start();
    const recorded = Object.values(loadCassette(DEMO_CASSETTE).entries)[0]!.request;
    const agent = defineAgent({ name: 'replayer', model: recorded.model, prompt: (_: string) => recorded.messages.map((m) => ({ ...m })), retries: 0 });
    const flotilla = createFlotilla({ client: fleet.router });
    const result = await flotilla.run(agent, 'x').result;
    await flotilla.close();
    expect(result.status).toBe('succeeded');
    expect(result.steps[0]!.call!.endpoint).toBe('deck');
    expect(decks.map((d) => [d.label, d.calls, d.closed])).toEqual([['left', 1, 1]]);

    const missing = write('bad.yaml', 'endpoints:\n  - { name: deck, kind: tape-deck, options: { lable: x } }\n');
    expect(() => loadRouterConfig(missing)).toThrow(/bad\.yaml:2:5: endpoints\[0\]\.cassettes: expected cassettes for the deck \(required for kind tape-deck\)/);
    expect(() => loadRouterConfig(missing)).toThrow(/endpoints\[0\]\.options: expected no key "lable" \(unknown; did you mean "label"\?\)/);
    const typo = write('typo.yaml', `endpoints:\n  - { name: deck, kind: tape-dek, cassettes: ["${DEMO_CASSETTE}"] }\n`);
    expect(() => loadRouterConfig(typo)).toThrow(/expected one of "ollama", "openai", "llama-cpp", "fixture", "tape-deck", got "tape-dek"; did you mean "tape-deck"\?/);
  });

  it('is a CLI backend: flotilla run --backend tape-deck (and --config), flotilla models --backend tape-deck', async () => {
    const single = await runCli(['run', PIPELINE, '--backend', 'tape-deck', '--cassette', PIPELINE_CASSETTE, '--input', PIPELINE_INPUT], { tty: true });
    expect(single.stderr).toContain('a tape deck "deck" over 1 cassette(s)');
    expect(single.code).toBe(0);
    expect(JSON.parse(single.stdout).approved).toBe(true);
    expect(decks.map((d) => [d.calls, d.closed])).toEqual([[7, 1]]);

    const fleet = write('fleet.yaml', `endpoints:\n  - { name: deck, kind: tape-deck, cassettes: ["${PIPELINE_CASSETTE}"], slots: 5 }\n`);
    const routed = await runCli(['run', PIPELINE, '--config', fleet, '--input', PIPELINE_INPUT]);
    expect(routed.code).toBe(0);
    expect(new Set(lastResult(routed.stdout).steps.filter((s: { call?: unknown }) => s.call).map((s: { call: { endpoint: string } }) => s.call.endpoint))).toEqual(new Set(['deck']));

    const listed = await runCli(['models', '--backend', 'tape-deck', '--cassette', PIPELINE_CASSETTE, '--format', 'json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).endpoints[0]).toMatchObject({ kind: 'tape-deck', reachable: true });
    expect(JSON.parse(listed.stdout).endpoints[0].models.map((m: { name: string }) => m.name).sort()).toEqual(['mistral:latest', 'neural-chat:latest', 'qwen2.5-coder:7b-q4_0']);

    const typo = await runCli(['run', PIPELINE, '--backend', 'tape-dek', '--input', PIPELINE_INPUT]);
    expect(typo).toMatchObject({ code: 2, stderr: '--backend: expected one of fixture, ollama, openai, llama-cpp, tape-deck, got "tape-dek"; did you mean tape-deck?\n' });
    const host = await runCli(['run', PIPELINE, '--backend', 'tape-deck', '--host', 'http://127.0.0.1:1', '--input', PIPELINE_INPUT]);
    expect(host).toMatchObject({ code: 2, stderr: '--host: only for --backend ollama or openai (this run uses tape-deck)\n' });
  });

  it("is a demo backend: the demo's main on --backend tape-deck, and on a fleet file of them", async () => {
    const run = async (args: string[]) => {
      const stdout = new PassThrough();
      const out: string[] = [];
      stdout.on('data', (d) => out.push(String(d)));
      const code = await demo(args, { stdout, stderr: new PassThrough(), env: {} });
      return { code, result: JSON.parse(out.join('')) };
    };
    const single = await run(['--json', '--backend', 'tape-deck', '--cassette', DEMO_CASSETTE]);
    expect(single.code).toBe(0);
    expect(single.result).toMatchObject({ status: 'succeeded', approved: true, backend: 'a tape deck "deck" over 1 cassette(s)' });
    expect(decks.map((d) => d.closed)).toEqual([1]);
    expect(decks[0]!.calls).toBe(single.result.modelCalls);

    const fleet = write('fleet.yaml', `endpoints:\n  - { name: a, kind: tape-deck, cassettes: ["${DEMO_CASSETTE}"], slots: 2 }\n  - { name: b, kind: tape-deck, cassettes: ["${DEMO_CASSETTE}"], slots: 2 }\n`);
    const routed = await run(['--json', '--config', fleet]);
    expect(routed.code).toBe(0);
    expect(routed.result.backend).toBe(`router over a (tape-deck, 2 slot(s)), b (tape-deck, 2 slot(s)) (from fleet.yaml)`);
    expect(decks.slice(1).reduce((n, d) => n + d.calls, 0)).toBe(routed.result.modelCalls);
  });
});
