import { Agent, type FlotillaAgent, TOKENS, createFlotillaContainer } from '@flotilla/core';
import { ScriptedModelClient } from '@flotilla/core/testing';
import { type ChainDiagnostic, diagnosticsOf } from '../parse/chain-diagnostic';
import { type CompiledChain, compileChainSource } from '../load-chain';
import { checkAgentModels } from '../validate/agent-models';

const AGENTS = `
name: test
agents:
  planner:
    model: m
    prompt: "Plan {{this}}"
    output:
      type: object
      properties:
        steps: { type: array, items: { type: object, properties: { title: { type: string } }, required: [title], additionalProperties: false } }
        done: { type: boolean }
      required: [steps, done]
      additionalProperties: false
  writer:
    model: m
    prompt: "Write {{title}}"
    input:
      type: object
      properties: { title: { type: string } }
      required: [title]
      additionalProperties: false
  judge:
    model: m
    prompt: "Judge {{this}}"
    output: { type: object, properties: { ok: { type: boolean } }, required: [ok], additionalProperties: false }
`;

async function problems(steps: string, agents = AGENTS): Promise<ChainDiagnostic[]> {
  try {
    const c = await compileChainSource(`${agents}steps:\n${steps}`, 'chain.yaml');
    return c.warnings;
  } catch (e) {
    const d = diagnosticsOf(e);
    if (d.length === 0) throw e;
    return d.filter((x) => x.severity === 'error');
  }
}
const lineOf = (steps: string, needle: string) => AGENTS.split('\n').length + 1 + steps.split('\n').findIndex((l) => l.includes(needle));

describe('chain validation before anything runs', () => {
  it('an unknown agent: where, what is declared, the closest name', async () => {
    const steps = '  - call: planer\n';
    const [d] = await problems(steps);
    expect(d).toMatchObject({ file: 'chain.yaml', line: lineOf(steps, 'planer'), col: 11, severity: 'error', code: 'unknownAgent' });
    expect(d!.message).toBe('unknown agent "planer"; declared agents: planner, writer, judge');
    expect(d!.hint).toBe('did you mean "planner"?');
  });

  it('an undefined reference, with what is available and the closest name', async () => {
    const steps = '  - call: planner\n    as: plan\n  - fanOut: { over: "${plna.steps}", step: { call: writer } }\n';
    const d = (await problems(steps)).find((x) => x.code === 'undefinedReference')!;
    expect(d.line).toBe(lineOf(steps, 'plna'));
    expect(d.message).toContain('undefined reference "plna"; available here: input, plan, value');
    expect(d.hint).toBe('did you mean ${plan}?');
  });

  it('a reference to a later step (how a cycle shows up in a step tree)', async () => {
    const steps = '  - call: writer\n    input: { title: "${draft}" }\n    as: notes\n  - call: writer\n    input: { title: "${notes}" }\n    as: draft\n';
    const d = (await problems(steps)).find((x) => x.code === 'forwardReference')!;
    expect(d.line).toBe(lineOf(steps, '${draft}'));
    expect(d.message).toContain(`bound with as: draft at line ${lineOf(steps, 'as: draft')}`);
    expect(d.message).toContain('cycle or a forward reference');
  });

  it('a name bound inside a fan-out, read outside it', async () => {
    const steps = '  - call: planner\n    as: plan\n  - fanOut: { over: "${plan.steps}", step: { call: writer, as: text } }\n  - value: "${text}"\n';
    const d = (await problems(steps)).find((x) => x.code === 'scopedReference')!;
    expect(d.line).toBe(lineOf(steps, '- value'));
    expect(d.message).toContain('"text" is bound inside a fan-out branch');
    expect(d.hint).toBe('give the fan-out an as: name and read that list');
  });

  it('a path that the producing step\'s output schema does not have', async () => {
    const steps = '  - call: planner\n    as: plan\n  - fanOut: { over: "${plan.stepz}", step: { call: writer } }\n';
    const d = (await problems(steps)).find((x) => x.code === 'badReference')!;
    expect(d.message).toBe('${plan.stepz}: plan has no property "stepz"; it has "steps", "done"');
    expect(d.hint).toBe('did you mean plan.steps?');
  });

  it('schema mismatches between connected steps', async () => {
    const noTitle = '  - call: planner\n    as: plan\n  - fanOut: { over: "${plan.steps}", item: { name: "${item.title}" }, step: { call: writer } }\n';
    const a = (await problems(noTitle)).filter((x) => x.code === 'schemaMismatch').map((x) => x.message);
    expect(a).toEqual([
      expect.stringContaining('input of agent "writer": missing required property "title"'),
      expect.stringContaining('input of agent "writer": property "name" is not allowed'),
    ]);
    const wrongType = '  - call: planner\n    as: plan\n  - call: writer\n    input: { title: "${plan.done}" }\n';
    expect((await problems(wrongType)).find((x) => x.code === 'schemaMismatch')!.message).toContain('input of agent "writer".title: expected string, got boolean');
    const notAList = '  - call: judge\n    as: verdict1\n  - fanOut: { over: "${verdict1}", step: { call: writer } }\n';
    expect((await problems(notAList)).find((x) => x.code === 'schemaMismatch')!.message).toContain('expected a list, but ${verdict1} is a object');
    const fine = '  - call: planner\n    as: plan\n  - fanOut: { over: "${plan.steps}", step: { call: writer } }\n';
    expect(await problems(fine)).toEqual([expect.objectContaining({ severity: 'warning', code: 'unusedAgent' })]);
  });

  it('unreachable steps and unused agents are warnings', async () => {
    const steps = '  - branch: { if: false, then: { call: judge }, else: { call: planner } }\n';
    const list = await problems(steps);
    expect(list.map((d) => `${d.severity}:${d.code}`)).toEqual(['warning:unusedAgent', 'warning:unreachable']);
    expect(list[1]!.message).toBe('branch.then never runs: the condition is always false');
  });

  it('until sees only the verdict', async () => {
    const steps = '  - loop: { work: { call: planner }, review: { call: judge }, revise: { call: planner }, until: "${plan.ok}" }\n';
    expect((await problems(steps)).find((x) => x.code === 'undefinedReference' || x.code === 'forwardReference')!.message).toContain("a loop's until sees only ${verdict}");
    const good = '  - loop: { work: { call: planner }, review: { call: judge }, revise: { call: planner }, until: "${verdict.okk}" }\n';
    expect((await problems(good)).find((x) => x.code === 'badReference')!.hint).toBe('did you mean verdict.ok?');
  });

  it('nothing in a chain file can run code: expressions, prototype paths and helpers are refused', async () => {
    const expr = await problems('  - value: "${process.exit(1)}"\n');
    expect(expr[0]).toMatchObject({ code: 'badReference' });
    const proto = await problems('  - value: "${input.constructor.constructor}"\n');
    expect(proto[0]!.message).toContain('"constructor" cannot be referenced');
    const helper = await problems('  - template: "{{#each input}}{{log this}}{{/each}}"\n');
    expect(helper[0]!.message).toContain('unknown helper "log"');
    const root = await problems('  - template: "{{constructor.name}} {{#each input}}{{this.constructor}}{{/each}}"\n');
    expect(root.map((d) => d.message)).toEqual([expect.stringContaining('undefined reference "constructor"')]);
    const partial = await problems('  - template: "{{> evil}}"\n');
    expect(partial.some((d) => d.code === 'template')).toBe(true);
  });

  it('reserved and duplicate output names', async () => {
    const list = await problems('  - call: planner\n    as: input\n  - call: planner\n    as: p\n  - call: planner\n    as: p\n');
    expect(list.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['reservedName', 'duplicateName']);
  });

  it('reports every problem at once, in file order', async () => {
    const list = await problems('  - call: nope\n  - value: "${missing}"\n');
    expect(list.map((d) => d.code)).toEqual(['unknownAgent', 'undefinedReference']);
  });
});

describe('template variables and models, checked before the first model call', () => {
  const ONE = `name: t
agents:
  w: { model: m, prompt: "Write about {{topic}} for {{audience}}" }
  s: { prompt: "Say {{this}}" }
`;
  it('a template variable that the step does not pass is refused at the step (today it would render empty)', async () => {
    const steps = '  - call: w\n    input: { title: "${input}", audience: kids }\n';
    const list = await problems(steps, ONE);
    expect(list).toEqual([
      expect.objectContaining({ line: 7, code: 'templateInput', message: 'agent "w" reads {{topic}} (chain.yaml:3), but the input this step passes has no "topic"; it has "title", "audience"' }),
    ]);
    const scalar = await problems('  - value: hello\n  - call: w\n', ONE);
    expect(scalar.map((d) => d.message)).toEqual([
      expect.stringContaining('reads {{topic}} (chain.yaml:3), but the input this step passes has no "topic"; it is a string; a template reads such an input as {{this}}'),
      expect.stringContaining('reads {{audience}}'),
    ]);
    expect(await problems('  - call: w\n    input: { topic: x, audience: y }\n', ONE)).toEqual([expect.objectContaining({ code: 'unusedAgent' })]);
  });

  it('an agent with no model under the configuration is refused where it is declared, saying where to set one', async () => {
    const compiled = await compileChainSource(`${ONE}steps:\n  - call: s\n  - call: w\n    input: { topic: x, audience: y }\n`, 'chain.yaml');
    const [d, ...rest] = checkAgentModels(compiled);
    expect(rest).toEqual([]);
    expect(d).toMatchObject({ file: 'chain.yaml', line: 4, col: 3, code: 'noModel', message: 'agent "s" has no model: none is declared for it, and the configuration gives none' });
    expect(d!.hint).toContain('agents.s.model to the fleet configuration');
    expect(checkAgentModels(compiled, { agents: { s: { model: 'qwen2.5:3b' } } })).toEqual([]);
    expect(checkAgentModels(compiled, { defaults: { roles: { worker: 'qwen2.5:3b' } } })).toEqual([]);
  });
});

describe('compiled chains run on the engine', () => {
  it('calls agents bound in code next to the file\'s own (externalAgents)', async () => {
    @Agent({ name: 'shout', model: 'm' })
    class ShoutAgent implements FlotillaAgent<string, string> {
      prompt(text: string) {
        return [{ role: 'user' as const, content: `SHOUT ${text}` }];
      }
    }
    const text = `${AGENTS}steps:\n  - call: shout\n  - call: writer\n    input: { title: "\${value}" }\n`;
    await expect(compileChainSource(text, 'chain.yaml')).rejects.toThrow('unknown agent "shout"');
    const compiled = await compileChainSource(text, 'chain.yaml', { externalAgents: ['shout'] });
    const client = new ScriptedModelClient((req) => req.messages.at(-1)!.content.toLowerCase());
    const container = createFlotillaContainer({ client, agents: [ShoutAgent, ...compiled.agents] });
    const result = await container.get(TOKENS.ChainEngine).run(compiled.chain, 'hi');
    expect(result.output).toBe('write shout hi');
  });

  async function run(compiled: CompiledChain, input: unknown, script: (user: string) => string) {
    const client = new ScriptedModelClient((req) => script(req.messages.at(-1)!.content));
    const engine = createFlotillaContainer({ client, agents: compiled.agents }).get(TOKENS.ChainEngine);
    return { result: await engine.run(compiled.chain, input), client };
  }

  it('branches on a condition, builds values and renders templates; templates cannot reach prototypes', async () => {
    const compiled = await compileChainSource(
      `${AGENTS}steps:
  - call: judge
    as: verdict1
  - branch:
      if: { all: ["\${verdict1.ok}", { not: { equals: ["\${input}", "skip"] } }] }
      then: { value: { title: "approved \${input}", n: 3, raw: "\${verdict1}" } }
      else: { value: { title: "rejected" } }
  - template: "{{value.title}}/{{value.n}}/{{value.raw.ok}}/{{value.constructor.name}}"
`,
      'chain.yaml',
    );
    expect((await run(compiled, 'go', () => '{"ok":true}')).result.output).toBe('approved go/3/true/');
    expect((await run(compiled, 'go', () => '{"ok":false}')).result.output).toBe('rejected///');
    expect((await run(compiled, 'skip', () => '{"ok":true}')).result.output).toBe('rejected///');
  });

  it('checks a call input against the agent\'s input schema at run time too, where types were unknown', async () => {
    const compiled = await compileChainSource(`${AGENTS}steps:\n  - call: writer\n    input: "\${input}"\n`, 'chain.yaml');
    const { result, client } = await run(compiled, { name: 'no title' }, () => 'x');
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ kind: 'badRequest' });
    expect(result.error!.message).toContain("the call input does not match its input schema: (root) must have required property 'title'");
    expect(client.requests).toHaveLength(0);
  });

  it('fans out with a concurrency bound and keeps order; the output selects from the scope', async () => {
    const compiled = await compileChainSource(
      `${AGENTS}output: { plan: "\${plan.steps}", texts: "\${texts}" }
steps:
  - call: planner
    as: plan
  - fanOut:
      over: \${plan.steps}
      step: { call: writer }
      concurrency: 2
    as: texts
`,
      'chain.yaml',
    );
    const { result, client } = await run(compiled, 'x', (u) => (u.startsWith('Plan') ? JSON.stringify({ steps: [{ title: 'a' }, { title: 'b' }, { title: 'c' }], done: true }) : ` text ${u} `));
    expect(result.output).toEqual({ plan: [{ title: 'a' }, { title: 'b' }, { title: 'c' }], texts: ['text Write a', 'text Write b', 'text Write c'] });
    expect(client.requests.map((r) => r.request.messages)).toContainEqual([{ role: 'user', content: 'Write b' }]);
  });
});
