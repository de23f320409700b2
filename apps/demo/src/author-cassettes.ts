// Regenerates the demo's cassettes from the hand-written replies in cassettes/src/*.yaml.
// Run after changing a prompt or a reply: npm run demo:author-cassettes
import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { authorCassette } from './lib/author-cassette';
import { SHIPPED_CASSETTES_DIR } from './lib/backend';

async function run(): Promise<void> {
  const sources = fs.readdirSync(path.join(SHIPPED_CASSETTES_DIR, 'src')).filter((f) => f.endsWith('.yaml'));
  await Promise.all(
    sources.map(async (file) => {
      const out = path.join(SHIPPED_CASSETTES_DIR, file.replace(/\.yaml$/, '.json'));
      const result = await authorCassette(path.join(SHIPPED_CASSETTES_DIR, 'src', file), out);
      console.log(`${path.relative(process.cwd(), out)}: ${result.modelCalls} calls, ${(result.durationMs / 1000).toFixed(1)} s recorded`);
    }),
  );
}

run().catch((e) => {
  console.error(e);
  process.exit(1);
});
