import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FlotillaError, executeTool } from '@flotilla/core';
import { loadToolModules } from './load-tool-modules';

describe('loadToolModules', () => {
  let dir: string;
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text);
    return name;
  };
  const failure = async (files: string[]) => {
    const e = await loadToolModules(files, { from: '--tools', cwd: dir }).catch((x: unknown) => x);
    expect(FlotillaError.is(e, 'config')).toBe(true);
    return (e as Error).message;
  };
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-tool-modules-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('takes definitions with a JSON Schema input from an ES module (no import needed), checks and runs them', async () => {
    const file = write(
      'harbours.mjs',
      `export const harbours = {
        name: 'harbours', description: 'The harbours of a city',
        input: { type: 'object', properties: { city: { type: 'string', maxLength: 40 } }, required: ['city'], additionalProperties: false },
        run: ({ city }) => ({ city, harbours: city === 'Oslo' ? ['Vippetangen'] : [] }),
      };
      export const HELPER = 42;
      export function notATool() {}`,
    );
    const [tool, ...rest] = await loadToolModules([file], { from: '--tools', cwd: dir });
    expect(rest).toEqual([]);
    expect(tool).toMatchObject({ name: 'harbours', description: 'The harbours of a city', parameters: { type: 'object', required: ['city'] } });
    expect(tool!.parseArgs({ city: 7 }).ok).toBe(false);
    const call = { runId: 'r', key: '0', agent: 'a', round: 0, index: 0, call: { name: 'harbours', arguments: { city: 'Oslo' } }, tool: tool!, known: ['harbours'] };
    const out = await executeTool(call, new AbortController().signal);
    expect(out).toMatchObject({ ok: true, content: '{"city":"Oslo","harbours":["Vippetangen"]}' });
  });

  it('takes a CommonJS module, a default export array, and a tool already made (parameters and parseArgs) as it is', async () => {
    const cjs = write('tides.cjs', `module.exports = { tide: { name: 'tide', input: { type: 'object', properties: {} }, run: () => 'high at 14:02' } };`);
    const arr = write(
      'many.mjs',
      `export default [
        { name: 'one', input: { type: 'object' }, run: () => 1 },
        { name: 'two', parameters: { type: 'object' }, parseArgs: (a) => ({ ok: true, value: a }), run: () => 2 },
      ];`,
    );
    const tools = await loadToolModules([cjs, arr], { cwd: dir });
    expect(tools.map((t) => t.name)).toEqual(['tide', 'one', 'two']);
    expect(await tools[2]!.run({}, { signal: new AbortController().signal, agent: 'a', key: '0' })).toBe(2);
  });

  it('refuses what is wrong, naming the file and the export', async () => {
    expect(await failure(['missing.mjs'])).toBe('--tools missing.mjs: no such file');
    expect(await failure([write('none.mjs', 'export const x = 1;')])).toMatch(/^--tools none\.mjs: exports no tools/);
    expect(await failure([write('bad-name.mjs', `export const t = { name: 'has space', input: { type: 'object' }, run: () => 1 };`)])).toMatch(
      /^--tools bad-name\.mjs: export t: tool "has space" name: expected 1-64 letters/,
    );
    expect(await failure([write('no-run.mjs', `export const t = { name: 'x', input: { type: 'object' } };`)])).toBe('--tools no-run.mjs: export t: a tool needs a string name and a run function');
    expect(await failure([write('bad-schema.mjs', `export default [{ name: 'x', input: { type: 'string' }, run: () => 1 }];`)])).toMatch(/^--tools bad-schema\.mjs: export default\[0\]: tool "x" input\.type/);
    const syntax = await failure([write('syntax.mjs', 'export const t = {\n  name: "x",,\n};')]);
    expect(syntax).toBe(`--tools syntax.mjs: failed to load: ${path.join(dir, 'syntax.mjs')}:2:13: Unexpected token ','`);
    expect(await failure([write('throws.mjs', 'throw new Error("no config here");')])).toBe('--tools throws.mjs: failed to load: no config here');
    const a = write('a.mjs', `export const t = { name: 'same', input: { type: 'object' }, run: () => 1 };`);
    const b = write('b.mjs', `export const t = { name: 'same', input: { type: 'object' }, run: () => 2 };`);
    expect(await failure([a, b])).toBe(`--tools b.mjs: tool "same" is also exported by ${path.join(dir, 'a.mjs')}`);
  });
});
