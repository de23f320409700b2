import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { readJson } from '@nx/devkit';
import { adapterGenerator } from './generator';

describe('adapter generator (in-memory tree)', () => {
  it('creates a library with the client, its test server and the contract spec, and an import alias', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await adapterGenerator(tree, { name: 'TextGen' });
    const root = 'libs/adapters/text-gen';
    for (const file of [
      'project.json',
      'jest.config.cjs',
      'tsconfig.json',
      'README.md',
      'src/index.ts',
      'src/lib/text-gen.model-client.ts',
      'src/lib/text-gen.options.ts',
      'src/testing/text-gen-test.server.ts',
      'src/text-gen.contract.spec.ts',
    ]) {
      expect(tree.exists(`${root}/${file}`)).toBe(true);
    }
    expect(readJson(tree, `${root}/project.json`)).toMatchObject({ name: 'adapter-text-gen', tags: ['scope:adapter'] });
    expect(tree.read(`${root}/jest.config.cjs`, 'utf-8')).toContain("require('../../../jest.preset.cjs')(__dirname, 'adapter-text-gen')");
    expect(tree.read(`${root}/src/lib/text-gen.model-client.ts`, 'utf-8')).toContain('export class TextGenModelClient implements ModelClient');
    expect(tree.read(`${root}/src/text-gen.contract.spec.ts`, 'utf-8')).toContain('describeModelClientContract(');
    expect(readJson(tree, 'tsconfig.base.json').compilerOptions.paths['@flotilla/adapter-text-gen']).toEqual([`${root}/src/index.ts`]);
  });

  it('refuses to overwrite an existing library and names the option', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await adapterGenerator(tree, { name: 'tgi' });
    await expect(adapterGenerator(tree, { name: 'tgi' })).rejects.toThrow(/--name: libs\/adapters\/tgi already exists/);
    await expect(adapterGenerator(tree, { name: 'x', directory: '../outside' })).rejects.toThrow(/--directory: must stay inside/);
  });
});
