import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Observable } from 'rxjs';
import { type ChatCallOptions, type ChatEvent, type ChatRequest, type FlotillaConfig, type ModelClient, type RunEvent, type RunResult, createFlotilla } from '@flotilla/core';
import { ScriptedModelClient, type ScriptFn } from '@flotilla/core/testing';
import { FixtureModelClient, requestKey } from '@flotilla/adapter-fixture';
import { codingPipeline } from '@flotilla/agents';
import { loadChain } from '@flotilla/chain';

const EXAMPLE = path.resolve(__dirname, '../../../examples/coding-pipeline/chain.yaml');

/** Replies for a three-step plan, one rejected review, a revision, then approval. */
function script(reviewsBeforeApproval: number, steps = 3): ScriptFn {
  let reviews = 0;
  return (req) => {
    const system = req.messages[0]!.content;
    const user = req.messages.at(-1)!.content;
    if (system.startsWith('You are the manager')) {
      return JSON.stringify({
        summary: 'reverse a string, with tests',
        steps: Array.from({ length: steps }, (_, i) => ({ id: `s${i}`, title: `Step ${i}`, instructions: `do part ${i}` })),
      });
    }
    if (system.startsWith('You are a strict reviewer')) {
      const approved = reviews++ >= reviewsBeforeApproval;
      return JSON.stringify({ approved, issues: approved ? [] : ['missing edge case', 'no tests for ""'], suggestedEdits: approved ? [] : ['handle ""'] });
    }
    if (user.includes('Revise this work')) return '  revised code\n';
    return `code for ${/\((s\d+)\)/.exec(user)![1]}`;
  };
}

/** A client that remembers the fixture key of every request it passes on. */
class KeySpy implements ModelClient {
  readonly name = 'key-spy';
  readonly keys: string[] = [];
  constructor(private readonly inner: ModelClient) {}
  chat(request: ChatRequest, options?: ChatCallOptions): Observable<ChatEvent> {
    this.keys.push(requestKey(request));
    return this.inner.chat(request, options);
  }
}

async function runCode(client: ModelClient, objective: string): Promise<RunResult> {
  return createFlotilla({ client }).run(codingPipeline(), objective).result as Promise<RunResult>;
}

async function runYaml(client: ModelClient, objective: string, config: FlotillaConfig = {}): Promise<RunResult> {
  const compiled = await loadChain(EXAMPLE);
  return createFlotilla({ client, config }).run(compiled.chain, objective).result;
}

/**
 * The trace without timings and run ids: keys, kinds, agents, models, outputs. The one
 * difference allowed: the combining step is a code `map` in one and a chain file's
 * `template` in the other.
 */
function shape(trace: readonly RunEvent[]): unknown[] {
  const kind = (k: string) => (k === 'template' ? 'map' : k);
  return trace.map((e) => {
    switch (e.type) {
      case 'run.start':
        return { type: e.type, chain: e.chain, input: e.input };
      case 'step.start':
        return { type: e.type, key: e.key, parentKey: e.parentKey, kind: kind(e.kind), agent: e.agent, model: e.model, index: e.index };
      case 'step.end':
        return { type: e.type, key: e.key, kind: kind(e.kind), output: e.output, call: e.call && { agent: e.call.agent, model: e.call.model, attempts: e.call.attempts, usage: e.call.usage } };
      case 'run.end':
        return { type: e.type, status: e.result.status, output: e.result.output, modelCalls: e.result.modelCalls, usage: e.result.usage };
      default:
        return { type: e.type, key: 'key' in e ? e.key : undefined };
    }
  });
}

describe('the coding pipeline as a chain file', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-chain-eq-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each([
    ['approved at once', 0, 3],
    ['after one revision', 1, 3],
    ['never approved (round limit)', 5, 2],
  ])('produces the same trace as codingPipeline() on the fixture client: %s', async (_label, rejections, steps) => {
    const objective = 'Create a function that reverses a string and tests it';
    const cassette = path.join(dir, 'pipeline.json');
    const recorder = new FixtureModelClient({ cassette, mode: 'record', inner: new ScriptedModelClient(script(rejections, steps)) });
    const recorded = await runCode(recorder, objective);
    expect(recorded.status).toBe('succeeded');

    const codeSpy = new KeySpy(new FixtureModelClient({ cassette }));
    const yamlSpy = new KeySpy(new FixtureModelClient({ cassette }));
    const code = await runCode(codeSpy, objective);
    const yaml = await runYaml(yamlSpy, objective);

    expect(yaml.status).toBe('succeeded');
    expect(yamlSpy.keys).toEqual(codeSpy.keys);
    expect(shape(yaml.trace)).toEqual(shape(code.trace));
    expect(yaml.output).toEqual(code.output);
    expect(yaml.steps.map((s) => s.key)).toEqual(code.steps.map((s) => s.key));
  });

  it('takes models from the configuration over the file, like code agents', async () => {
    const client = new ScriptedModelClient(script(0, 1));
    const result = await runYaml(client, 'x', { agents: { worker: { model: 'tiny-coder' } } });
    expect(result.status).toBe('succeeded');
    expect(result.steps.filter((s) => s.call).map((s) => `${s.call!.agent}@${s.call!.model}`)).toEqual([
      'manager@neural-chat:latest',
      'worker@tiny-coder',
      'reviewer@mistral:latest',
    ]);
  });
});
