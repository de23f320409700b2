import { type Tree, generateFiles, joinPathFragments } from '@nx/devkit';
import type { ChainGeneratorSchema } from './options';
import { normalizeChainOptions } from './normalize';
import { authorCassetteInTree } from './author-in-tree';

/** nx g @flotilla/nx-plugin:chain <name> [--directory examples] [--model llama3.2:3b] */
export async function chainGenerator(tree: Tree, schema: ChainGeneratorSchema): Promise<void> {
  const options = normalizeChainOptions(tree, schema);
  const substitutions = { ...options, template: '' };
  generateFiles(tree, joinPathFragments(__dirname, 'files/chain'), options.directory, substitutions);
  // examples/ is covered by apps/cli/src/examples.spec.ts; elsewhere the folder brings its own spec.
  if (!options.inExamples) generateFiles(tree, joinPathFragments(__dirname, 'files/project'), options.directory, substitutions);
  await authorCassetteInTree(tree, options);
}

export default chainGenerator;
