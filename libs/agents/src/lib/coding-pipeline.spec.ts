import * as fs from 'node:fs';
import * as path from 'node:path';
import { ScriptedModelClient, type ScriptFn } from '@flotilla/core/testing';
import { type ChatRequest, type FlotillaConfig, FlotillaError, createFlotilla, portableSchemaViolations } from '@flotilla/core';
import { type CodingPipelineOptions, codingPipeline } from './coding-pipeline.chain';
import { pipelineResult } from './pipeline-result';
import { PLAN, VERDICT } from './schemas';
import { EXAMPLE_CHAIN_FILE, codingPipelineChainFile } from './example-chain';

async function runPipeline(client: ScriptedModelClient, objective: string, options: CodingPipelineOptions & { config?: FlotillaConfig } = {}) {
  const pipeline = codingPipeline(options);
  const flotilla = createFlotilla({ client, config: options.config });
  return pipelineResult(pipeline, objective, await flotilla.run(pipeline, objective).result);
}

const plan = (n: number) => ({
  summary: 'reverse a string, with tests',
  steps: Array.from({ length: n }, (_, i) => ({ id: `s${i}`, title: `Step ${i}`, instructions: `do part ${i}` })),
});

const agentOf = (req: ChatRequest) => req.messages[0]!.content;
const isManager = (req: ChatRequest) => agentOf(req).startsWith('You are the manager');
const isReviewer = (req: ChatRequest) => agentOf(req).startsWith('You are a strict reviewer');

function pipelineScript(opts: { steps: number; approveAfter: number; delayMs?: number }): ScriptFn {
  let reviews = 0;
  return (req) => {
    if (isManager(req)) return JSON.stringify(plan(opts.steps));
    if (isReviewer(req)) {
      const approved = reviews++ >= opts.approveAfter;
      return JSON.stringify({ approved, issues: approved ? [] : ['missing edge case'], suggestedEdits: approved ? [] : ['handle ""'] });
    }
    const user = req.messages[1]!.content;
    const revising = user.includes('Revise this work');
    return { text: revising ? 'revised code' : `code for ${/\((s\d+)\)/.exec(user)![1]}`, firstTokenDelayMs: opts.delayMs ?? 0 };
  };
}

describe('the coding pipeline (manager / worker / reviewer)', () => {
  it('runs manager -> 5 parallel workers -> reviewer in 7 calls when approved at once', async () => {
    const client = new ScriptedModelClient(pipelineScript({ steps: 5, approveAfter: 0, delayMs: 10 }));
    const config = { agents: { manager: { model: 'mgr' }, worker: { model: 'coder' }, reviewer: { model: 'rev' } } };
    const result = await runPipeline(client, 'Create a function that reverses a string and tests it', { config });
    expect(result.status).toBe('succeeded');
    expect(result.modelCalls).toBe(7);
    expect(client.maxInFlight).toBe(5);
    expect(result.plan).toEqual(plan(5));
    expect(result.stepOutputs).toEqual(['code for s0', 'code for s1', 'code for s2', 'code for s3', 'code for s4']);
    expect(result.reviews).toEqual([{ approved: true, issues: [], suggestedEdits: [] }]);
    expect(result.approved).toBe(true);
    expect(result.artifact).toContain('// Step 5: Step 4\ncode for s4');
    expect(result.stats.map((s) => `${s.agent}@${s.model}`)).toEqual(['manager@mgr', ...Array(5).fill('worker@coder'), 'reviewer@rev']);
    expect(client.requests[0]!.request.format).toEqual(expect.objectContaining({ type: 'object', required: ['summary', 'steps'] }));
  });

  it('revises until the reviewer approves and keeps every verdict', async () => {
    const client = new ScriptedModelClient(pipelineScript({ steps: 2, approveAfter: 1 }));
    const result = await runPipeline(client, 'x', { maxReviewRounds: 3 });
    expect(result.reviews.map((r) => r.approved)).toEqual([false, true]);
    expect(result.artifact).toBe('revised code');
    const revision = client.requests.find((r) => r.request.messages[1]!.content.includes('Revise this work'))!;
    expect(revision.request.messages[1]!.content).toContain('missing edge case');
    expect(revision.request.model).toBe('qwen2.5-coder:7b-q4_0');
  });

  it('passes agent name, run conversation and priority hints to the client (reviewer above workers)', async () => {
    const client = new ScriptedModelClient(pipelineScript({ steps: 2, approveAfter: 0 }));
    await runPipeline(client, 'x');
    const hints = client.requests.map((r) => r.options!);
    expect(hints.map((h) => h.agent)).toEqual(['manager', 'worker', 'worker', 'reviewer']);
    expect(new Set(hints.map((h) => h.conversation)).size).toBe(1);
    expect(hints[3]!.priority).toBeGreaterThan(hints[1]!.priority!);
  });

  it('keeps the plan and finished workers when a later step fails', async () => {
    const base = pipelineScript({ steps: 3, approveAfter: 0 });
    const client = new ScriptedModelClient((req, i) =>
      isReviewer(req) ? { error: new FlotillaError('modelNotFound', "model 'rev' not found") } : base(req, i),
    );
    const result = await runPipeline(client, 'x');
    expect(result.status).toBe('failed');
    expect(result.error!.kind).toBe('modelNotFound');
    expect(result.plan!.steps).toHaveLength(3);
    expect(result.stepOutputs).toEqual(['code for s0', 'code for s1', 'code for s2']);
    expect(result.artifact).toContain('code for s2');
  });

  it('declares schemas inside the portable JSON Schema subset, with bounded strings', () => {
    expect(portableSchemaViolations(PLAN.jsonSchema)).toEqual([]);
    expect(portableSchemaViolations(VERDICT.jsonSchema)).toEqual([]);
    const strings = JSON.stringify(PLAN.jsonSchema).match(/"type":"string"[^}]*/g)!;
    expect(strings.every((s) => s.includes('maxLength'))).toBe(true);
  });
});

describe('one source for the coding pipeline', () => {
  it(`${EXAMPLE_CHAIN_FILE} is written from the agents' specs and is up to date (npm run examples:write)`, () => {
    const root = path.resolve(__dirname, '../../../..');
    expect(fs.readFileSync(path.join(root, EXAMPLE_CHAIN_FILE), 'utf8')).toBe(codingPipelineChainFile());
  });
});
