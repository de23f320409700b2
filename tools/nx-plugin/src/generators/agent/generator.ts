import { type Tree, generateFiles, joinPathFragments } from '@nx/devkit';
import type { AgentGeneratorSchema } from './options';
import { type NormalizedAgentOptions, normalizeAgentOptions } from './normalize';

/** nx g @flotilla/nx-plugin:agent <name> [--project agents] [--role worker] [--model m] [--structured]: a defineAgent spec and its spec file. */
export async function agentGenerator(tree: Tree, schema: AgentGeneratorSchema): Promise<void> {
  const options = normalizeAgentOptions(tree, schema);
  generateFiles(tree, joinPathFragments(__dirname, 'files'), options.targetDir, {
    ...options,
    constantName: options.fileName.replace(/-/g, '_').toUpperCase(),
    template: '',
  });
  registerInIndex(tree, options);
}

/** Exports the agent from the library's public surface, once. */
function registerInIndex(tree: Tree, options: NormalizedAgentOptions): void {
  const line = `export { ${options.propertyName}Agent } from '${options.importFromIndex}';\n`;
  const current = tree.exists(options.indexPath) ? tree.read(options.indexPath, 'utf-8')! : '';
  if (!current.includes(line.trim())) tree.write(options.indexPath, current + (current.endsWith('\n') || !current ? '' : '\n') + line);
}

export default agentGenerator;
