import { type Tree, addProjectConfiguration } from '@nx/devkit';
import { createTreeWithEmptyWorkspace } from '@nx/devkit/testing';
import { agentGenerator } from './generator';

function workspace(): Tree {
  const tree = createTreeWithEmptyWorkspace();
  addProjectConfiguration(tree, 'agents', { root: 'libs/agents', sourceRoot: 'libs/agents/src', projectType: 'library' });
  tree.write('libs/agents/src/index.ts', "export { ManagerAgent } from './lib/manager.agent';\n");
  return tree;
}

describe('agent generator (in-memory tree)', () => {
  it('writes an agent spec (defineAgent) and its test, and exports it from the index', async () => {
    const tree = workspace();
    await agentGenerator(tree, { name: 'CodeReviewer', role: 'reviewer', model: 'mistral:latest' });
    const source = tree.read('libs/agents/src/lib/code-reviewer.agent.ts', 'utf-8')!;
    expect(source).toContain("name: 'code-reviewer'");
    expect(source).toContain("role: 'reviewer'");
    expect(source).toContain("model: 'mistral:latest'");
    expect(source).toContain('export const codeReviewerAgent = defineAgent({');
    expect(source).not.toContain('@Agent');
    expect(source).not.toContain('zodSchema');
    expect(tree.exists('libs/agents/src/lib/code-reviewer.agent.spec.ts')).toBe(true);
    expect(tree.read('libs/agents/src/index.ts', 'utf-8')).toBe(
      "export { ManagerAgent } from './lib/manager.agent';\nexport { codeReviewerAgent } from './lib/code-reviewer.agent';\n",
    );
  });

  it('declares a zod output schema for --structured and tests the schema retry', async () => {
    const tree = workspace();
    await agentGenerator(tree, { name: 'triage', structured: true, directory: 'support' });
    const source = tree.read('libs/agents/src/lib/support/triage.agent.ts', 'utf-8')!;
    expect(source).toContain('output: zodSchema(TriageOutput');
    expect(source).toContain('export const triageAgent = defineAgent({');
    expect(source).not.toContain('model:');
    expect(tree.read('libs/agents/src/lib/support/triage.agent.spec.ts', 'utf-8')).toContain("kind: 'badOutput'");
    expect(tree.read('libs/agents/src/index.ts', 'utf-8')).toContain("export { triageAgent } from './lib/support/triage.agent';");
  });

  it('is idempotent for the index export', async () => {
    const tree = workspace();
    await agentGenerator(tree, { name: 'summarizer' });
    await agentGenerator(tree, { name: 'summarizer' });
    const index = tree.read('libs/agents/src/index.ts', 'utf-8')!;
    expect(index.match(/summarizerAgent/g)).toHaveLength(1);
  });

  it('rejects bad options with the option named', async () => {
    await expect(agentGenerator(workspace(), { name: '1st' })).rejects.toThrow(/--name: expected a name starting with a letter/);
    await expect(agentGenerator(workspace(), { name: 'x', project: 'nope' })).rejects.toThrow(/--project: no project named "nope"/);
    await expect(agentGenerator(workspace(), { name: 'x', directory: '../../etc' })).rejects.toThrow(/--directory: must stay inside the library/);
    await expect(agentGenerator(workspace(), { name: 'x', model: "evil'); process.exit(1); ('" })).rejects.toThrow(/--model: expected a model name/);
  });
});
