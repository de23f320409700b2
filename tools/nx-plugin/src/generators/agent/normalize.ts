import { type Tree, joinPathFragments, readProjectConfiguration } from '@nx/devkit';
import { FlotillaError } from '@flotilla/core';
import { type NameForms, nameForms } from '../../lib/names';
import type { AgentGeneratorSchema } from './options';

export interface NormalizedAgentOptions extends NameForms {
  project: string;
  projectRoot: string;
  /** Where the files go: <projectRoot>/src/lib[/<directory>] */
  targetDir: string;
  /** The library's index, relative import of the new file from it. */
  indexPath: string;
  importFromIndex: string;
  role: string;
  model?: string;
  structured: boolean;
}

/** Options normalised once: every later step of the generator reads these only. */
export function normalizeAgentOptions(tree: Tree, schema: AgentGeneratorSchema): NormalizedAgentOptions {
  const forms = nameForms(schema.name);
  const project = schema.project ?? 'agents';
  let projectRoot: string;
  try {
    projectRoot = readProjectConfiguration(tree, project).root;
  } catch {
    throw new FlotillaError('config', `--project: no project named "${project}" in this workspace`);
  }
  const directory = (schema.directory ?? '').replace(/^\/+|\/+$/g, '');
  if (directory.split('/').includes('..')) throw new FlotillaError('config', `--directory: must stay inside the library, got "${schema.directory}"`);
  const targetDir = joinPathFragments(projectRoot, 'src/lib', directory);
  const role = (schema.role ?? 'worker').trim();
  if (!/^[a-z][a-zA-Z0-9-]*$/.test(role)) throw new FlotillaError('config', `--role: expected a word such as worker or reviewer, got "${schema.role}"`);
  const model = schema.model?.trim() || undefined;
  if (model !== undefined && /['\\\n]/.test(model)) throw new FlotillaError('config', `--model: expected a model name such as qwen2.5-coder:7b, got "${schema.model}"`);
  return {
    ...forms,
    project,
    projectRoot,
    targetDir,
    indexPath: joinPathFragments(projectRoot, 'src/index.ts'),
    importFromIndex: `./${joinPathFragments('lib', directory, `${forms.fileName}.agent`)}`,
    role,
    model,
    structured: schema.structured ?? false,
  };
}
