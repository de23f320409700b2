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

  it('makes it a package like the other adapters: package.json at the workspace version, build target, built declarations, the packaging list', async () => {
    const tree = createTreeWithEmptyWorkspace();
    tree.write('package.json', JSON.stringify({ name: 'ws', version: '0.3.1', dependencies: { rxjs: '^7.8.2' } }));
    tree.write('libs/core/package.json', JSON.stringify({ name: '@flotilla/core', repository: { type: 'git', url: 'git+https://example.invalid/flotilla.git', directory: 'libs/core' } }));
    tree.write('tsconfig.build.json', JSON.stringify({ compilerOptions: { paths: { '@flotilla/core': ['dist/libs/core/src/index.d.ts'] } } }));
    tree.write('tools/packaging/packages.cjs', "module.exports.PACKAGE_ROOTS = [\n  'libs/core',\n  'libs/adapters/fixture',\n  'libs/adapters/ollama',\n  'libs/router',\n];\n");
    await adapterGenerator(tree, { name: 'TextGen' });
    const root = 'libs/adapters/text-gen';
    expect(readJson(tree, `${root}/package.json`)).toEqual({
      name: '@flotilla/adapter-text-gen',
      version: '0.3.1',
      description: 'Flotilla model client for TextGen servers',
      license: 'MIT',
      repository: { type: 'git', url: 'git+https://example.invalid/flotilla.git', directory: root },
      engines: { node: '>=20' },
      type: 'commonjs',
      main: './src/index.js',
      types: './src/index.d.ts',
      exports: { '.': { types: './src/index.d.ts', default: './src/index.js' }, './package.json': './package.json' },
      files: ['src/**/*.js', 'src/**/*.d.ts'],
      dependencies: { '@flotilla/core': '0.3.1', '@flotilla/http': '0.3.1', rxjs: '^7.8.2' },
    });
    expect(readJson(tree, `${root}/project.json`).targets.build).toEqual({});
    expect(readJson(tree, `${root}/tsconfig.lib.json`)).toEqual({ extends: '../../../tsconfig.build.json', compilerOptions: { rootDir: '.', outDir: `../../../dist/${root}` }, files: ['src/index.ts'] });
    expect(readJson(tree, 'tsconfig.build.json').compilerOptions.paths['@flotilla/adapter-text-gen']).toEqual([`dist/${root}/src/index.d.ts`]);
    // After the last adapter: adapters build before the router that imports them.
    expect(tree.read('tools/packaging/packages.cjs', 'utf-8')).toBe(
      "module.exports.PACKAGE_ROOTS = [\n  'libs/core',\n  'libs/adapters/fixture',\n  'libs/adapters/ollama',\n  'libs/adapters/text-gen',\n  'libs/router',\n];\n",
    );
  });

  it('refuses to overwrite an existing library and names the option', async () => {
    const tree = createTreeWithEmptyWorkspace();
    await adapterGenerator(tree, { name: 'tgi' });
    await expect(adapterGenerator(tree, { name: 'tgi' })).rejects.toThrow(/--name: libs\/adapters\/tgi already exists/);
    await expect(adapterGenerator(tree, { name: 'x', directory: '../outside' })).rejects.toThrow(/--directory: must stay inside/);
  });
});
