import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse as parseYaml } from 'yaml';
import { parseChain } from './parse-chain';
import { CHAIN_SCHEMA_FILE, renderChainSchema } from './chain-schema-file';

const ok = `
name: demo
agents:
  writer:
    prompt: "Write about {{topic}}"
steps:
  - call: writer
`;

const first = (text: string) => {
  const r = parseChain(text, 'chain.yaml');
  expect(r.chain).toBeUndefined();
  return r.diagnostics[0]!;
};

describe('parseChain', () => {
  it('accepts a valid chain and keeps where each part is', () => {
    const r = parseChain(ok, 'chain.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.chain!.data.agents['writer']).toEqual({ prompt: 'Write about {{topic}}' });
    expect(r.chain!.source.position(['steps', 0, 'call'])).toEqual({ file: 'chain.yaml', line: 7, col: 11 });
  });

  it('reads JSON chain files with positions too', () => {
    const json = JSON.stringify({ name: 'j', agents: { a: { prompt: 'x' } }, steps: [{ call: 'a', bogus: 1 }] }, null, 2);
    const d = first(json);
    expect(d).toMatchObject({ code: 'unknownKey', line: 11, col: 7 });
  });

  it('names an unknown top-level key, where it is, and the closest valid key', () => {
    const d = first(ok.replace('steps:', 'stpes:'));
    expect(d).toMatchObject({ file: 'chain.yaml', line: 6, col: 1, code: 'unknownKey' });
    expect(d.hint).toBe('did you mean "steps"?');
  });

  it('names an unknown step kind with the closest kind', () => {
    const d = first(ok.replace('- call: writer', '- fanout: { over: "${input}", step: { call: writer } }'));
    expect(d).toMatchObject({ line: 7, col: 5, code: 'unknownStepKind' });
    expect(d.message).toContain('expected a step with one of call, sequence, fanOut');
    expect(d.hint).toBe('did you mean "fanOut"?');
  });

  it('says what a nested step is missing', () => {
    const d = first(ok.replace('- call: writer', '- loop: { work: { call: writer }, review: { call: writer }, until: "${verdict.ok}" }'));
    expect(d).toMatchObject({ line: 7, code: 'missingKey' });
    expect(d.message).toContain('missing required key "revise"');
  });

  it('asks for a prompt or a file in an agent', () => {
    const d = first(ok.replace('prompt: "Write about {{topic}}"', 'system: hi'));
    expect(d).toMatchObject({ line: 4, col: 3, code: 'schema' });
    expect(d.hint).toContain('file: ./name.prompt');
  });

  it('a key with a wrong type says the key, what was expected and what was given (not "missing")', () => {
    const r = parseChain(ok.replace('prompt: "Write about {{topic}}"', 'prompt: x\n    retries: "two"\n    concurrency: 1.5\n    options: { temperature: hot }'), 'chain.yaml');
    expect(r.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      '6:14 agents.writer.retries: expected a number, got "two"',
      '7:18 agents.writer.concurrency: expected a whole number, got 1.5',
      '8:29 agents.writer.options.temperature: expected a number, got "hot"',
    ]);
  });

  it('an empty, list or scalar file says what a chain file must be', () => {
    for (const [text, got] of [['', 'an empty file'], ['# nothing\n', 'an empty file'], ['- a\n', 'a list'], ['hello\n', '"hello"'], ['42\n', '42']] as const) {
      expect(first(text)).toMatchObject({ line: 1, col: 1, code: 'schema', message: `a chain file must be a mapping with name, agents and steps; got ${got}` });
    }
  });

  it('a bad condition, and a loop without until, list the forms a condition may take', () => {
    const bad = first(ok.replace('- call: writer', '- branch: { if: "${input} > 3", then: { call: writer } }'));
    expect(bad).toMatchObject({ line: 7, code: 'badCondition' });
    expect(bad.message).toContain('steps.0.branch.if: expected a condition: a reference such as "${verdict.approved}"');
    expect(bad.message).toContain('{ equals: [<a>, <b>] }; got "${input} > 3"');
    const noUntil = first(ok.replace('- call: writer', '- loop: { work: { call: writer }, review: { call: writer }, revise: { call: writer } }'));
    expect(noUntil).toMatchObject({ line: 7, code: 'missingKey' });
    expect(noUntil.message).toContain('steps.0.loop: missing required key "until" (a condition: a reference such as');
    expect(first(ok.replace('- call: writer', '- branch: { if: { al: [true] }, then: { call: writer } }')).message).toContain('got a mapping');
  });

  it('reports bad values with the expected type', () => {
    const d = first(ok.replace('- call: writer', '- fanOut: { over: "${input}", step: { call: writer }, concurrency: 0 }'));
    expect(d.message).toBe('steps.0.fanOut.concurrency: expected a number >= 1, got 0');
    expect(d.line).toBe(7);
  });

  it('reports YAML syntax errors and duplicate keys at their line', () => {
    expect(first('name: x\nagents: {\nsteps: [')).toMatchObject({ code: 'syntax', line: 3 });
    const dup = first(ok.replace('agents:', 'name: again\nagents:'));
    expect(dup).toMatchObject({ code: 'syntax', line: 3 });
    expect(dup.hint).toContain('duplicate');
  });

  describe('hostile input is refused quickly, with a clear error', () => {
    const timed = (text: string, limits?: Parameters<typeof parseChain>[2]) => {
      const t0 = performance.now();
      const r = parseChain(text, 'evil.yaml', limits);
      return { d: r.diagnostics[0]!, ms: performance.now() - t0 };
    };

    it('a file over the size limit', () => {
      const { d, ms } = timed(`name: x\n# ${'a'.repeat(2_000_000)}`);
      expect(d).toMatchObject({ code: 'tooLarge', line: 1, col: 1 });
      expect(ms).toBeLessThan(100);
    });

    it('deep flow nesting, before the YAML parser sees it', () => {
      const { d, ms } = timed(`name: x\nsteps: ${'['.repeat(100_000)}${']'.repeat(100_000)}`);
      expect(d).toMatchObject({ code: 'tooDeep', line: 2, col: 72 });
      expect(ms).toBeLessThan(100);
    });

    it('deep block nesting', () => {
      const deep = Array.from({ length: 80 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1';
      const { d } = timed(deep);
      expect(d.code).toBe('tooDeep');
      expect(d.line).toBeGreaterThan(60);
    });

    it('an anchor bomb (billion laughs)', () => {
      const bomb = [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
        'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
        'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
        'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
        'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
        'g: [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
      ].join('\n');
      const { d, ms } = timed(bomb);
      expect(d.code).toBe('aliasBomb');
      expect(d.message).toContain('aliases expand too much');
      expect(ms).toBeLessThan(200);
    });

    it('an alias inside its own anchor (a value that contains itself)', () => {
      const { d } = timed('name: x\nagents: {}\nsteps:\n  - &a { sequence: [*a] }\n');
      expect(d).toMatchObject({ code: 'aliasCycle', line: 4, col: 21 });
      expect(timed('name: x\nagents: {}\nsteps:\n  - value: &v { self: *v }\n').d.code).toBe('aliasCycle');
    });

    it('too many nodes', () => {
      const { d } = timed(`name: x\nsteps: [${Array.from({ length: 2000 }, () => '1').join(',')}]`, { maxNodes: 1000 });
      expect(d.code).toBe('tooLarge');
    });
  });

  it('the published JSON Schema is generated from the current zod schema', () => {
    expect(fs.readFileSync(CHAIN_SCHEMA_FILE, 'utf8')).toBe(renderChainSchema());
  });

  it('the published JSON Schema accepts the example chains and rejects what the parser rejects', () => {
    const validate = new Ajv2020({ strict: false, allErrors: true }).compile(JSON.parse(fs.readFileSync(CHAIN_SCHEMA_FILE, 'utf8')));
    const examples = path.resolve(__dirname, '../../../../../examples');
    for (const dir of fs.readdirSync(examples).filter((d) => fs.existsSync(path.join(examples, d, 'chain.yaml')))) {
      const doc = parseYaml(fs.readFileSync(path.join(examples, dir, 'chain.yaml'), 'utf8'));
      expect({ dir, ok: validate(doc), errors: validate.errors }).toEqual({ dir, ok: true, errors: null });
    }
    expect(validate(parseYaml(ok.replace('steps:', 'stpes:')))).toBe(false);
    expect(validate(parseYaml(ok.replace('- call: writer', '- fanout: { over: x }')))).toBe(false);
  });
});
