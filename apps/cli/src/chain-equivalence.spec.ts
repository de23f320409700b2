import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Observable } from 'rxjs';
import { type Chain, type ChatCallOptions, type ChatEvent, type ChatRequest, type FlotillaConfig, type ModelClient, type RunEvent, type RunResult, TOKENS, createFlotillaContainer } from '@flotilla/core';
import { ScriptedModelClient, type ScriptFn } from '@flotilla/core/testing';
import { FixtureModelClient, requestKey } from '@flotilla/adapter-fixture';
import {
  DEFAULT_MANAGER_MODEL,
  DEFAULT_REVIEWER_MODEL,
  DEFAULT_WORKER_MODEL,
  MANAGER_SYSTEM_PROMPT,
  ManagerAgent,
  REVIEWER_SYSTEM_PROMPT,
  ReviewerAgent,
  WorkerAgent,
  codingPipeline,
} from '@flotilla/agents';
import { loadChain } from '@flotilla/chain';

const EXAMPLE = path.resolve(__dirname, '../../../examples/coding-pipeline/chain.yaml');

/** Replies for a three-step plan, one rejected review, a revision, then approval. */
function script(reviewsBeforeApproval: number, steps = 3): ScriptFn {
  let reviews = 0;
  return (req) => {
    const system = req.messages[0]!.content;
    const user = req.messages.at(-1)!.content;
    if (system === MANAGER_SYSTEM_PROMPT) {
      return JSON.stringify({
        summary: 'reverse a string, with tests',
        steps: Array.from({ length: steps }, (_, i) => ({ id: `s${i}`, title: `Step ${i}`, instructions: `do part ${i}` })),
      });
    }
    if (system === REVIEWER_SYSTEM_PROMPT) {
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

const CONFIG: FlotillaConfig = { defaults: { roles: { manager: DEFAULT_MANAGER_MODEL, worker: DEFAULT_WORKER_MODEL, reviewer: DEFAULT_REVIEWER_MODEL } } };

async function runCode(client: ModelClient, objective: string): Promise<RunResult> {
  const engine = createFlotillaContainer({ client, config: CONFIG, agents: [ManagerAgent, WorkerAgent, ReviewerAgent] }).get(TOKENS.ChainEngine);
  return engine.run(codingPipeline() as Chain<string, unknown>, objective);
}

async function runYaml(client: ModelClient, objective: string, config: FlotillaConfig = {}): Promise<RunResult> {
  const compiled = await loadChain(EXAMPLE);
  const engine = createFlotillaContainer({ client, config, agents: compiled.agents }).get(TOKENS.ChainEngine);
  return engine.run(compiled.chain, objective);
}

/** The trace without ids and timings: each event with its parent's step name instead of an id. */
function shape(trace: readonly RunEvent[]): unknown[] {
  const names = new Map<string, string>();
  return trace.map((e) => {
    if (e.type === 'step.start') names.set(e.id, `${names.get(e.parentId ?? '') ?? 'run'}/${e.step}${e.index === undefined ? '' : `#${e.index}`}`);
    const where = names.get(e.id) ?? 'run';
    switch (e.type) {
      case 'run.start':
        return { type: e.type, chain: e.chain, input: e.input };
      case 'step.start':
        return { type: e.type, where, kind: e.kind, agent: e.agent, model: e.model };
      case 'step.end':
        return { type: e.type, where, kind: e.kind, output: e.output, call: e.call && { agent: e.call.agent, model: e.call.model, attempts: e.call.attempts, usage: e.call.usage } };
      case 'run.end':
        return { type: e.type, status: e.result.status, output: e.result.output, modelCalls: e.result.modelCalls, usage: e.result.usage };
      default:
        return { type: e.type, where };
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
    expect(yaml.steps.map((s) => s.step)).toEqual(code.steps.map((s) => s.step));
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
