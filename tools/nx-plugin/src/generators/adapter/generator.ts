import { type Tree, generateFiles, joinPathFragments, updateJson } from '@nx/devkit';
import type { AdapterGeneratorSchema } from './options';
import { normalizeAdapterOptions } from './normalize';

/** nx g @flotilla/nx-plugin:adapter <name> [--directory libs/adapters] */
export async function adapterGenerator(tree: Tree, schema: AdapterGeneratorSchema): Promise<void> {
  const options = normalizeAdapterOptions(tree, schema);
  generateFiles(tree, joinPathFragments(__dirname, 'files'), options.projectRoot, { ...options, template: '' });
  updateJson(tree, 'tsconfig.base.json', (json) => {
    json.compilerOptions ??= {};
    json.compilerOptions.paths ??= {};
    json.compilerOptions.paths[options.importPath] = [joinPathFragments(options.projectRoot, 'src/index.ts')];
    return json;
  });
}

export default adapterGenerator;
