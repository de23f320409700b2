// Regenerates the examples' cassettes from the hand-written replies in
// examples/<name>/cassettes/src/*.yaml. Run after changing a chain, a prompt or a reply:
//   node tools/scripts/run-ts.cjs apps/cli/src/author-example-cassettes.ts
import 'reflect-metadata';
import * as path from 'node:path';
import { authorCassette, exampleCases } from './lib/author-cassette';

export const EXAMPLES_DIR = path.resolve(__dirname, '../../../examples');

async function run(): Promise<void> {
  for (const c of exampleCases(EXAMPLES_DIR)) {
    const result = await authorCassette(c.chain, c.source, c.cassette);
    console.log(`${path.relative(process.cwd(), c.cassette)}: ${result.modelCalls} calls, ${(result.durationMs / 1000).toFixed(1)} s recorded`);
  }
}

run().catch((e) => {
  console.error(e);
  process.exit(1);
});
