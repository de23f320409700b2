import { type Tree, generateFiles, joinPathFragments, readJson, updateJson, writeJson } from '@nx/devkit';
import type { AdapterGeneratorSchema } from './options';
import { type NormalizedAdapterOptions, normalizeAdapterOptions } from './normalize';

/** The packaging list (docs/releasing.md): the roots of the published packages, in build order. */
const PACKAGES_LIST = 'tools/packaging/packages.cjs';

/**
 * nx g @flotilla/nx-plugin:adapter <name> [--directory libs/adapters]: the adapter's library,
 * its test server and contract spec, and the package it is published as (package.json at the
 * workspace's version, a build target, its built declarations in tsconfig.build.json, its
 * root in the packaging list).
 */
export async function adapterGenerator(tree: Tree, schema: AdapterGeneratorSchema): Promise<void> {
  const options = normalizeAdapterOptions(tree, schema);
  generateFiles(tree, joinPathFragments(__dirname, 'files'), options.projectRoot, { ...options, template: '' });
  writeJson(tree, joinPathFragments(options.projectRoot, 'package.json'), packageJson(tree, options));
  updateJson(tree, 'tsconfig.base.json', (json) => {
    json.compilerOptions ??= {};
    json.compilerOptions.paths ??= {};
    json.compilerOptions.paths[options.importPath] = [joinPathFragments(options.projectRoot, 'src/index.ts')];
    return json;
  });
  if (tree.exists('tsconfig.build.json')) {
    updateJson(tree, 'tsconfig.build.json', (json) => {
      json.compilerOptions ??= {};
      json.compilerOptions.paths ??= {};
      json.compilerOptions.paths[options.importPath] = [joinPathFragments('dist', options.projectRoot, 'src/index.d.ts')];
      return json;
    });
  }
  if (tree.exists(PACKAGES_LIST)) tree.write(PACKAGES_LIST, withPackageRoot(tree.read(PACKAGES_LIST, 'utf-8')!, options.projectRoot));
}

/** A package.json like the other adapters': the workspace's version, and what the generated code imports. */
function packageJson(tree: Tree, o: NormalizedAdapterOptions): Record<string, unknown> {
  const root = readJson<{ version?: string; dependencies?: Record<string, string> }>(tree, 'package.json');
  const version = root.version ?? '0.0.0';
  // The repository the other packages name (core is always there), with this package's folder.
  const core = tree.exists('libs/core/package.json') ? readJson<{ repository?: { type?: string; url?: string } }>(tree, 'libs/core/package.json') : {};
  return {
    name: o.importPath,
    version,
    description: `Flotilla model client for ${o.className} servers`,
    license: 'MIT',
    ...(core.repository ? { repository: { ...core.repository, directory: o.projectRoot } } : {}),
    engines: { node: '>=20' },
    type: 'commonjs',
    main: './src/index.js',
    types: './src/index.d.ts',
    exports: { '.': { types: './src/index.d.ts', default: './src/index.js' }, './package.json': './package.json' },
    files: ['src/**/*.js', 'src/**/*.d.ts'],
    dependencies: { '@flotilla/core': version, '@flotilla/http': version, rxjs: root.dependencies?.['rxjs'] ?? '^7.8.2' },
  };
}

/** The list with `root` after the last adapter (adapters build before the router that imports them), or at the end. */
export function withPackageRoot(list: string, root: string): string {
  if (list.includes(`'${root}'`)) return list;
  const lines = list.split('\n');
  const adapters = lines.map((l, i) => (/^\s*'libs\/adapters\//.test(l) ? i : -1)).filter((i) => i >= 0);
  const end = lines.findIndex((l) => /^\s*\];/.test(l));
  const at = adapters.length ? adapters.at(-1)! + 1 : end;
  if (at < 0) throw new Error(`${PACKAGES_LIST}: cannot find the PACKAGE_ROOTS list`);
  lines.splice(at, 0, `  '${root}',`);
  return lines.join('\n');
}

export default adapterGenerator;
