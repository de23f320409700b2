import { type Tree, joinPathFragments, offsetFromRoot } from '@nx/devkit';
import { FlotillaError } from '@flotilla/core';
import { type NameForms, nameForms } from '../../lib/names';
import type { AdapterGeneratorSchema } from './options';

export interface NormalizedAdapterOptions extends NameForms {
  projectName: string;
  projectRoot: string;
  importPath: string;
  /** Relative path from the library to the workspace root, ending in a slash. */
  offset: string;
  constantName: string;
}

/** Options normalised once: every later step of the generator reads these only. */
export function normalizeAdapterOptions(tree: Tree, schema: AdapterGeneratorSchema): NormalizedAdapterOptions {
  const forms = nameForms(schema.name);
  const directory = (schema.directory ?? 'libs/adapters').replace(/^\/+|\/+$/g, '');
  if (directory.split('/').includes('..')) throw new FlotillaError('config', `--directory: must stay inside the workspace, got "${schema.directory}"`);
  const projectRoot = joinPathFragments(directory, forms.fileName);
  if (tree.exists(projectRoot)) throw new FlotillaError('config', `--name: ${projectRoot} already exists; choose another name`);
  return {
    ...forms,
    projectName: `adapter-${forms.fileName}`,
    projectRoot,
    importPath: `@flotilla/adapter-${forms.fileName}`,
    offset: offsetFromRoot(projectRoot),
    constantName: forms.fileName.replace(/-/g, '_').toUpperCase(),
  };
}
