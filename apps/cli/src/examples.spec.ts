import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { type CassetteEntry, loadCassette } from '@flotilla/adapter-fixture';
import { runCli } from './testing/run-cli';
import { HAND_WRITTEN_NOTE, authorCassette, exampleCases, loadReplySource } from '@flotilla/authoring';

const EXAMPLES = path.resolve(__dirname, '../../../examples');
const cases = exampleCases(EXAMPLES);

const cli = (args: string[]) => runCli(args);
/** An example's tools module, given as `flotilla run --tools` gives it (a chain folder's code is never loaded because it is there). */
const toolsOf = (c: (typeof cases)[number]) => (c.tools ? ['--tools', c.tools] : []);

/** Runs an example through `flotilla run` on its shipped cassettes; returns the run result. */
async function runExample(c: (typeof cases)[number]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-example-'));
  try {
    const inputFile = path.join(dir, 'input.json');
    fs.writeFileSync(inputFile, JSON.stringify(loadReplySource(c.source).input));
    const { code, stdout, stderr } = await cli(['run', c.chain, '--input-file', inputFile, '--format', 'jsonl', ...toolsOf(c)]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    return JSON.parse(stdout.trim().split('\n').at(-1)!).result;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const reply = (e: CassetteEntry) => e.events.map((x) => (x.type === 'delta' ? x.text : x.type === 'toolCall' ? JSON.stringify(x.call) : '')).join('');

describe('examples/', () => {
  // Every folder here is checked below, so a chain made by `nx g @flotilla/nx-plugin:chain` is tested as soon as it exists.
  it('holds the example chains, each with hand-written cassettes', () => {
    expect([...new Set(cases.map((c) => c.example))]).toEqual(expect.arrayContaining(['classify-tickets', 'coding-pipeline', 'summarise-critique-rewrite']));
    for (const c of cases) expect(loadCassette(c.cassette).note).toBe(HAND_WRITTEN_NOTE);
  });

  it.each(cases.map((c) => [c.example, c]))('%s validates without warnings', async (_name, c) => {
    const { code, stdout } = await cli(['validate', c.chain, '--format', 'json', ...toolsOf(c)]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout).diagnostics).toEqual([]);
  });

  it.each(cases.map((c) => [path.relative(EXAMPLES, c.cassette), c]))('%s is in step with its replies and the current chain', async (_name, c) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-author-'));
    try {
      const fresh = path.join(dir, 'fresh.json');
      await authorCassette(c.chain, c.source, fresh, { timeScale: 0, ...(c.tools ? { tools: [c.tools] } : {}) });
      const a = loadCassette(fresh).entries;
      const b = loadCassette(c.cassette).entries;
      expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
      for (const key of Object.keys(a)) expect(reply(b[key]!)).toBe(reply(a[key]!));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('input.yaml files are the inputs the cassettes were written for', () => {
    for (const c of cases) {
      const file = path.join(EXAMPLES, c.example, 'input.yaml');
      if (fs.existsSync(file)) expect(parseYaml(fs.readFileSync(file, 'utf8'))).toEqual(loadReplySource(c.source).input);
    }
  });

  it('coding-pipeline: plans, fans out, revises once, then is approved', async () => {
    const result = await runExample(cases.find((c) => c.example === 'coding-pipeline')!);
    expect(result.output.approved).toBe(true);
    expect(result.output.rounds.map((r: { verdict: { approved: boolean } }) => r.verdict.approved)).toEqual([false, true]);
    expect(result.output.artifact).toContain('Array.from(s).reverse()');
  });

  it('summarise-critique-rewrite: the Dotprompt critic runs on the aliased local model', async () => {
    const c = cases.find((x) => x.example === 'summarise-critique-rewrite')!;
    const result = await runExample(c);
    expect(result.output.accepted).toBe(true);
    expect(result.output.summary).toContain('stay signed in');
    expect(result.output.critiques).toHaveLength(2);
    const critic = Object.values(loadCassette(c.cassette).entries).find((e) => e.request.messages[0]!.content.startsWith('You are a careful editor'))!;
    expect(critic.request).toMatchObject({
      model: 'mistral:latest',
      options: { temperature: 0.2 },
      format: { type: 'object', required: ['acceptable', 'problems'], additionalProperties: false },
    });
    expect(critic.request.messages.map((m) => m.role)).toEqual(['system', 'user']);
  });

  it('classify-tickets: classifies in parallel, routes bugs and urgent tickets to the triager, renders a report', async () => {
    const result = await runExample(cases.find((c) => c.example === 'classify-tickets')!);
    expect(result.output.tickets.map((t: { id: string; category: string }) => `${t.id}:${t.category}`)).toEqual([
      'T-1041:billing',
      'T-1042:bug',
      'T-1043:account',
      'T-1044:feature-request',
    ]);
    expect(result.output.tickets.map((t: { triage: string | null }) => t.triage !== null)).toEqual([false, true, true, false]);
    expect(result.output.report).toMatch(/^1\. T-1041 \[billing, urgency 2\]/);
    expect(result.modelCalls).toBe(6);
  });

  it('dependency-audit: the auditor looks every package up with its tool (three calls in one reply), then the writer writes the note', async () => {
    const result = await runExample(cases.find((c) => c.example === 'dependency-audit')!);
    const audit = result.steps.find((s: { key: string }) => s.key === 'audit');
    expect(audit.call).toMatchObject({ toolRounds: 1, toolCalls: 3 });
    expect(audit.output).toContain('request@2.88.2: deprecated');
    expect(result.output).toContain('String.prototype.padStart()');
    expect(result.modelCalls).toBe(3);
  });
});
