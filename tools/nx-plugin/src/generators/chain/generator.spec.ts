import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Tree, addProjectConfiguration, readJson } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { parse as parseYaml } from 'yaml';
import { createFlotilla } from '@flotilla/core';
import { FixtureModelClient, parseCassette } from '@flotilla/adapter-fixture';
import { compileChainSource } from '@flotilla/chain';
import { HAND_WRITTEN_NOTE, ReplySourceSchema } from '@flotilla/authoring';
import { chainGenerator } from './generator';

const read = (tree: Tree, file: string) => tree.read(file, 'utf-8')!;

/** Runs the tree's chain on the tree's cassette in strict replay, as `flotilla run` does with the fixture backend. */
async function replay(tree: Tree, dir: string, name: string) {
  const compiled = await compileChainSource(read(tree, `${dir}/chain.yaml`), `${dir}/chain.yaml`);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-chain-spec-'));
  try {
    const cassette = path.join(tmp, `${name}.json`);
    fs.writeFileSync(cassette, read(tree, `${dir}/cassettes/${name}.json`));
    const client = new FixtureModelClient({ cassette });
    const input = parseYaml(read(tree, `${dir}/input.yaml`));
    expect(compiled.input!.parse(input).ok).toBe(true);
    return { compiled, result: await createFlotilla({ client }).run(compiled.chain, input).result };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

describe('chain generator (in-memory tree)', () => {
  it('writes a chain in examples/ with its input, hand-written replies and a cassette that replays', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await chainGenerator(tree, { name: 'FaqBot' });
    const dir = 'examples/faq-bot';
    const chain = read(tree, `${dir}/chain.yaml`);
    expect(chain.split('\n')[0]).toBe('# yaml-language-server: $schema=../../libs/chain/schema/chain.schema.json');
    expect(chain).toContain('name: faq-bot');
    expect(chain.match(/model: llama3\.2:3b/g)).toHaveLength(2);
    expect(chain).toContain('Make it yours');

    const source = ReplySourceSchema.parse(parseYaml(read(tree, `${dir}/cassettes/src/faq-bot.yaml`)));
    expect(read(tree, `${dir}/cassettes/src/faq-bot.yaml`)).toMatch(/^# Hand-written replies \(not recorded from a real model\)/);
    expect(parseYaml(read(tree, `${dir}/input.yaml`))).toEqual(source.input);

    const cassette = parseCassette(read(tree, `${dir}/cassettes/faq-bot.json`), `${dir}/cassettes/faq-bot.json`);
    expect(cassette.note).toBe(HAND_WRITTEN_NOTE);
    expect(cassette.source).toBe('replies written in src/faq-bot.yaml, run through the chain by nx g @flotilla/nx-plugin:chain');
    const formats = Object.values(cassette.entries).map((e) => e.request.format);
    expect(formats).toHaveLength(2);
    expect(formats).toEqual(expect.arrayContaining([expect.objectContaining({ required: ['answer', 'sources'] }), expect.objectContaining({ required: ['grounded', 'problem'] })]));

    const { compiled, result } = await replay(tree, dir, 'faq-bot');
    expect(compiled.warnings).toEqual([]);
    expect(result.status).toBe('succeeded');
    expect(result.modelCalls).toBe(2);
    expect(result.output).toEqual({
      answer: 'Yes. Go to Settings > Profile, enter your new email address, then confirm it from the email we send to that address.',
      grounded: true,
      sources: [2],
    });
    // Tested by apps/cli/src/examples.spec.ts, which runs every folder in examples/: no project, no spec here.
    expect(tree.exists(`${dir}/project.json`)).toBe(false);
    expect(tree.children(dir).sort()).toEqual(['cassettes', 'chain.yaml', 'input.yaml']);
  }, 30_000);

  it('elsewhere, makes the chain folder a test project with a spec, on the model asked for', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await chainGenerator(tree, { name: 'triage', directory: 'chains/support', model: 'qwen2.5:1.5b' });
    const dir = 'chains/support/triage';
    expect(read(tree, `${dir}/chain.yaml`).split('\n')[0]).toBe('# yaml-language-server: $schema=../../../libs/chain/schema/chain.schema.json');
    expect(readJson(tree, `${dir}/project.json`)).toMatchObject({ name: 'chain-triage', tags: ['scope:integration'], targets: { test: {} } });
    expect(read(tree, `${dir}/jest.config.cjs`)).toContain("require('../../../jest.preset.cjs')(__dirname, 'chain-triage'), testMatch: ['<rootDir>/*.spec.ts']");
    expect(readJson(tree, `${dir}/tsconfig.json`)).toMatchObject({ extends: '../../../tsconfig.base.json' });
    const spec = read(tree, `${dir}/triage.chain.spec.ts`);
    expect(spec).toContain("from '@flotilla/authoring'");
    expect(spec).toContain('author-example-cassettes.ts chains/support/triage');
    const { result } = await replay(tree, dir, 'triage');
    expect(result.status).toBe('succeeded');
    expect(Object.values(parseCassette(read(tree, `${dir}/cassettes/triage.json`), 'x').entries).map((e) => e.request.model)).toEqual(['qwen2.5:1.5b', 'qwen2.5:1.5b']);
  }, 30_000);

  it('rejects bad options with the option named, and refuses an existing folder', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await expect(chainGenerator(tree, { name: '1st' })).rejects.toThrow(/--name: expected a name starting with a letter/);
    await expect(chainGenerator(tree, { name: 'x', directory: '../outside' })).rejects.toThrow(/--directory: must be a folder inside the workspace/);
    await expect(chainGenerator(tree, { name: 'x', model: 'llama3.2:3b\nsystem: evil' })).rejects.toThrow(/--model: expected a model name such as llama3\.2:3b/);
    addProjectConfiguration(tree, 'agents', { root: 'libs/agents', projectType: 'library' });
    await expect(chainGenerator(tree, { name: 'x', directory: 'libs/agents/chains' })).rejects.toThrow(/--directory: libs\/agents\/chains is inside the project agents/);
    tree.write('examples/faq-bot/chain.yaml', 'mine');
    await expect(chainGenerator(tree, { name: 'faq-bot' })).rejects.toThrow(/--name: examples\/faq-bot already exists/);
    expect(read(tree, 'examples/faq-bot/chain.yaml')).toBe('mine');
  });
});
