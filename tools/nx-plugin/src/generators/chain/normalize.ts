import { type Tree, getProjects, joinPathFragments, offsetFromRoot } from '@nx/devkit';
import { FlotillaError } from '@flotilla/core';
import { type NameForms, nameForms } from '../../lib/names';
import type { ChainGeneratorSchema } from './options';

export const DEFAULT_CHAIN_DIRECTORY = 'examples';
export const DEFAULT_CHAIN_MODEL = 'llama3.2:3b';

export interface NormalizedChainOptions extends NameForms {
  /** Parent folder of the chain folder, relative to the workspace root ('' for the root). */
  directory: string;
  /** The chain folder: <directory>/<fileName>. */
  chainDir: string;
  model: string;
  /** Relative path from the chain folder to the workspace root, ending in a slash. */
  offset: string;
  /**
   * In examples/, apps/cli/src/examples.spec.ts finds and tests the chain; anywhere else the
   * chain folder becomes a test project of its own (`projectName`) with a spec.
   */
  inExamples: boolean;
  projectName: string;
  /** Cassette paths inside the tree. */
  replySource: string;
  cassette: string;
}

/** Options normalised once: every later step of the generator reads these only. */
export function normalizeChainOptions(tree: Tree, schema: ChainGeneratorSchema): NormalizedChainOptions {
  const forms = nameForms(schema.name);
  const directory = (schema.directory ?? DEFAULT_CHAIN_DIRECTORY).trim().replace(/^\.?\/+|\/+$/g, '').replace(/^\.$/, '');
  if (directory.split('/').includes('..') || /^[A-Za-z]:/.test(directory) || /[\\'"\n]/.test(directory)) {
    throw new FlotillaError('config', `--directory: must be a folder inside the workspace, got "${schema.directory}"`);
  }
  const model = (schema.model ?? DEFAULT_CHAIN_MODEL).trim();
  // It goes into YAML and a JSON request unquoted: a model name, nothing else.
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/@+-]*$/.test(model)) throw new FlotillaError('config', `--model: expected a model name such as ${DEFAULT_CHAIN_MODEL}, got "${schema.model}"`);
  const chainDir = joinPathFragments(directory, forms.fileName);
  if (tree.exists(chainDir)) throw new FlotillaError('config', `--name: ${chainDir} already exists; choose another name or --directory`);
  const inExamples = directory === DEFAULT_CHAIN_DIRECTORY;
  const projectName = `chain-${forms.fileName}`;
  if (!inExamples) {
    for (const [name, project] of getProjects(tree)) {
      if (name === projectName) throw new FlotillaError('config', `--name: a project named ${projectName} already exists; choose another name`);
      if (project.root !== '.' && project.root !== '' && `${chainDir}/`.startsWith(`${project.root}/`)) {
        throw new FlotillaError('config', `--directory: ${directory} is inside the project ${name}; put chains in a folder of their own (examples, or e.g. chains)`);
      }
    }
  }
  return {
    ...forms,
    directory,
    chainDir,
    model,
    offset: offsetFromRoot(chainDir),
    inExamples,
    projectName,
    replySource: joinPathFragments(chainDir, 'cassettes/src', `${forms.fileName}.yaml`),
    cassette: joinPathFragments(chainDir, 'cassettes', `${forms.fileName}.json`),
  };
}
