// Writes libs/chain/schema/chain.schema.json from the zod schema of chain files.
// Run after changing chain-file.schema.ts: node tools/scripts/run-ts.cjs libs/chain/src/generate-schema.ts
// (a spec fails while the committed file is out of date).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHAIN_SCHEMA_FILE, renderChainSchema } from './lib/parse/chain-schema-file';

fs.writeFileSync(CHAIN_SCHEMA_FILE, renderChainSchema());
console.log(`wrote ${path.relative(process.cwd(), CHAIN_SCHEMA_FILE)}`);
