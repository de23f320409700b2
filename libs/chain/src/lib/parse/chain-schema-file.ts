import * as path from 'node:path';
import { chainFileJsonSchema } from './chain-file.schema';

/** The published JSON Schema of chain files (for editors: `# yaml-language-server: $schema=...`). */
export const CHAIN_SCHEMA_FILE = path.resolve(__dirname, '../../../schema/chain.schema.json');

/** The file's exact content, as the generator writes it. */
export function renderChainSchema(): string {
  return `${JSON.stringify(chainFileJsonSchema(), null, 2)}\n`;
}
