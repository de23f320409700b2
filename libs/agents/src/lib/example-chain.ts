import { Document } from 'yaml';
import { type TemplateAgentSpec, templateSourceOf } from '@flotilla/chain';
import { manager, reviewer, worker } from './coding-pipeline.agents';
import { CODING_PIPELINE } from './coding-pipeline.chain';

/** Where the example chain file lives, relative to the repository root. */
export const EXAMPLE_CHAIN_FILE = 'examples/coding-pipeline/chain.yaml';

// The steps of the chain file: the same tree, keys and outputs as codingPipeline() (a spec
// runs both on the same cassette and compares their traces).
const STEPS = `steps:
  - id: plan
    call: manager
  - id: loop
    reviewLoop:
      work:
        - id: workers
          fanOut:
            over: \${plan.steps}
            item: { objective: "\${input}", step: "\${item}" }
            step: { call: worker }
            concurrency: 5
        - id: combine
          template: "{{#each plan.steps}}// Step {{inc @index}}: {{title}}\\n{{lookup ../value @index}}{{#unless @last}}\\n\\n{{/unless}}{{/each}}"
      review:
        id: review
        call: reviewer
        input: { objective: "\${input}", artifact: "\${value.artifact}" }
      revise:
        id: revise
        call: worker
        input: { objective: "\${input}", artifact: "\${value.artifact}", verdict: "\${value.verdict}" }
      until: \${verdict.approved}
      maxRounds: 2
`;

const HEADER = `# yaml-language-server: $schema=../../libs/chain/schema/chain.schema.json
# The manager -> workers -> reviewer coding pipeline as a chain file. Written by
# \`npm run examples:write\` from the agents in libs/agents (coding-pipeline.agents.ts), the one
# source of its prompts and schemas; a spec checks that this file is up to date.
`;

/** The example chain file's text, from the pipeline's agent specs. */
export function codingPipelineChainFile(): string {
  const doc = new Document({
    version: 2,
    name: CODING_PIPELINE,
    description: 'A manager plans, workers do the steps in parallel, a reviewer asks for revisions.',
    input: { type: 'string', description: 'the objective' },
    agents: { manager: agentEntry(manager), worker: agentEntry(worker), reviewer: agentEntry(reviewer) },
  });
  return `${HEADER}${doc.toString({ lineWidth: 0, blockQuote: 'literal' })}\n${STEPS}`;
}

function agentEntry(spec: TemplateAgentSpec<never, unknown>): Record<string, unknown> {
  const source = templateSourceOf(spec);
  const entry: Record<string, unknown> = {};
  for (const key of ['role', 'model', 'retries', 'priority', 'timeouts'] as const) if (spec[key] !== undefined) entry[key] = spec[key];
  if (source.system !== undefined) entry['system'] = source.system;
  entry['prompt'] = source.prompt;
  if (source.input !== undefined) entry['input'] = source.input;
  if (source.output !== undefined) entry['output'] = source.output;
  return entry;
}
