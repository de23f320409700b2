import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeSyntheticGguf } from '@flotilla/testing';
import { runCli } from './testing/run-cli';

const EXAMPLES = path.resolve(__dirname, '../../../examples');

/**
 * Chain files on the embedded engine: synthetic GGUF models with random weights stand in
 * for the chain's models (what they say is noise), so what is checked is the mechanics:
 * structured outputs constrained by a grammar from the chain file's JSON Schema (enums,
 * integer bounds, required properties), fan-out over sequences, the loop and branches.
 */
describe('chain files on the embedded llama.cpp backend', () => {
  jest.setTimeout(120_000);
  let dir: string;
  const gguf = (name: string) => path.join(dir, `${name}.gguf`);

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'flotilla-chain-llama-'));
    await Promise.all([
      // A bias on '"' ends JSON strings after a few characters, so replies stay short.
      writeSyntheticGguf(gguf('classifier'), { seed: 41, stopBias: 2, biases: { '"': 3 } }),
      writeSyntheticGguf(gguf('writer'), { seed: 42, stopBias: 3 }),
      writeSyntheticGguf(gguf('manager'), { seed: 31, stopBias: 2, biases: { '"': 3 } }),
      writeSyntheticGguf(gguf('reviewer'), { seed: 33, stopBias: 2, biases: { '"': 3 } }),
      writeSyntheticGguf(gguf('auditor'), { seed: 51, stopBias: 2, biases: { '"': 3 } }),
    ]);
  });
  afterAll(() => fs.rm(dir, { recursive: true, force: true }));

  async function run(chain: string, models: Record<string, string>, input: string[]) {
    const gg = Object.entries(models).flatMap(([model, file]) => ['--gguf', `${model}=${gguf(file)}`]);
    const { code, stdout: out, stderr: err } = await runCli(['run', path.join(EXAMPLES, chain), '--backend', 'llama-cpp', ...gg, ...input, '--format', 'jsonl'], { env: {} });
    const events = out.trim().split('\n').map((l) => JSON.parse(l));
    return { code, stderr: err, events, result: events.at(-1).result };
  }

  it('classify-tickets: every label fits the schema (enum category, urgency 1..5), triage where the branch says', async () => {
    const { code, result, stderr } = await run('classify-tickets/chain.yaml', { 'qwen2.5:1.5b': 'classifier', 'llama3.2:3b': 'writer' }, [
      '--input-file',
      path.join(EXAMPLES, 'classify-tickets/input.yaml'),
    ]);
    expect(stderr).toBe('');
    expect(result.error).toBeUndefined();
    expect(code).toBe(0);
    const tickets = result.output.tickets as { id: string; category: string; urgency: number; reason: string; triage: string | null }[];
    expect(tickets.map((t) => t.id)).toEqual(['T-1041', 'T-1042', 'T-1043', 'T-1044']);
    for (const t of tickets) {
      expect(['billing', 'bug', 'feature-request', 'account', 'other']).toContain(t.category);
      expect(Number.isInteger(t.urgency) && t.urgency >= 1 && t.urgency <= 5).toBe(true);
      expect(typeof t.reason).toBe('string');
      expect(t.triage !== null).toBe(t.category === 'bug' || t.urgency === 5);
    }
    expect(result.output.report.split('\n')[0]).toMatch(/^1\. T-1041 \[/);
  });

  it('coding-pipeline: grammar-constrained plans and verdicts drive the fan-out and the review loop', async () => {
    const { code, result } = await run(
      'coding-pipeline/chain.yaml',
      { 'neural-chat:latest': 'manager', 'qwen2.5-coder:7b-q4_0': 'writer', 'mistral:latest': 'reviewer' },
      ['--input', 'Write a function that reverses a string.'],
    );
    expect(result.error).toBeUndefined();
    expect(code).toBe(0);
    const plan = result.steps.find((s: { call?: { agent: string } }) => s.call?.agent === 'manager').output;
    expect(plan.steps.length).toBeGreaterThanOrEqual(1);
    expect(plan.steps.length).toBeLessThanOrEqual(8);
    const workers = result.steps.find((s: { id?: string }) => s.id === 'workers').output;
    expect(workers).toHaveLength(plan.steps.length);
    for (const round of result.output.rounds) expect(typeof round.verdict.approved).toBe('boolean');
  });

  it('dependency-audit: a tool-using agent with its --tools module; the forced call is grammar-valid, its tool turns in the trace and the HTML report', async () => {
    const traces = path.join(dir, 'traces');
    await fs.mkdir(traces, { recursive: true });
    const { code, result, events, stderr } = await run('dependency-audit/chain.yaml', { 'qwen2.5-coder:1.5b': 'auditor', 'llama3.2:3b': 'writer' }, [
      '--tools',
      path.join(EXAMPLES, 'dependency-audit/tools.mjs'),
      '--input-file',
      path.join(EXAMPLES, 'dependency-audit/input.yaml'),
      '--trace',
      traces,
    ]);
    expect(result.error).toBeUndefined();
    expect(code).toBe(0);
    // toolChoice: required on the embedded engine: the first reply is written under a grammar of the call
    // object, so even random weights call package_info with a name (maxLength 64) that passes its check.
    const calls = events.filter((e: { type: string }) => e.type === 'tool.call');
    expect(calls.length).toBeGreaterThanOrEqual(1);
    for (const c of calls) {
      expect(c).toMatchObject({ key: 'audit', round: 0, tool: 'package_info' });
      expect(typeof c.arguments.name).toBe('string');
      expect(c.arguments.name.length).toBeLessThanOrEqual(64);
    }
    const results = events.filter((e: { type: string }) => e.type === 'tool.result');
    expect(results.map((e: { ok: boolean }) => e.ok)).toEqual(calls.map(() => true));
    // tools.mjs answered (an unknown package, most likely: the name is noise).
    for (const r of results) expect(JSON.parse(r.content)).toHaveProperty('name');
    expect(result.steps.find((s: { key: string }) => s.key === 'audit').call).toMatchObject({ toolRounds: 1, toolCalls: calls.length });
    // The later calls were not forced (auto: the tools were offered, and this model answered in text), so the loop ended and the writer ran.
    expect(typeof result.output).toBe('string');
    expect(stderr).toBe('');

    const [traceFile] = await fs.readdir(traces);
    const traced = (await fs.readFile(path.join(traces, traceFile!), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(traced.filter((e: { type: string }) => e.type === 'tool.call').map((e: { callId?: string; arguments: unknown }) => e.arguments)).toEqual(calls.map((c: { arguments: unknown }) => c.arguments));
    const html = path.join(dir, 'audit.html');
    const report = await runCli(['report', '--html', html, path.join(traces, traceFile!)]);
    expect(report.code).toBe(0);
    expect((await fs.readFile(html, 'utf8')).match(/data-tool="package_info"/g)?.length).toBe(calls.length);
  });
});
