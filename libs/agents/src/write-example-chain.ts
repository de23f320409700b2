// Writes examples/coding-pipeline/chain.yaml from the coding pipeline's agent specs (their one
// source): npm run examples:write. A spec fails while the committed file is out of date.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXAMPLE_CHAIN_FILE, codingPipelineChainFile } from './lib/example-chain';

const file = path.resolve(__dirname, '../../..', EXAMPLE_CHAIN_FILE);
fs.writeFileSync(file, codingPipelineChainFile());
console.log(`wrote ${EXAMPLE_CHAIN_FILE}`);
