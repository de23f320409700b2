// Regenerates chain cassettes from the hand-written replies in <chain folder>/cassettes/src/*.yaml.
// Run after changing a chain, a prompt or a reply:
//   node tools/scripts/run-ts.cjs apps/cli/src/author-example-cassettes.ts               (every folder in examples/)
//   node tools/scripts/run-ts.cjs apps/cli/src/author-example-cassettes.ts chains/faq-bot (the chain folders named)
import 'reflect-metadata';
import * as path from 'node:path';
import { authorCassette, chainCases, exampleCases } from '@flotilla/authoring';

export const EXAMPLES_DIR = path.resolve(__dirname, '../../../examples');

async function run(folders: string[]): Promise<void> {
  const cases = folders.length ? folders.flatMap((f) => chainCases(path.resolve(f))) : exampleCases(EXAMPLES_DIR);
  if (cases.length === 0) throw new Error(`no hand-written replies (cassettes/src/*.yaml) in ${folders.join(', ')}`);
  for (const c of cases) {
    const result = await authorCassette(c.chain, c.source, c.cassette, { by: 'apps/cli/src/author-example-cassettes.ts', ...(c.tools ? { tools: [c.tools] } : {}) });
    console.log(`${path.relative(process.cwd(), c.cassette)}: ${result.modelCalls} calls, ${(result.durationMs / 1000).toFixed(1)} s recorded`);
  }
}

run(process.argv.slice(2)).catch((e) => {
  console.error(e);
  process.exit(1);
});
