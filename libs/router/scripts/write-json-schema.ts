// Regenerates the published JSON Schema from the zod declaration:
//   node tools/scripts/run-ts.cjs libs/router/scripts/write-json-schema.ts
import * as fs from 'node:fs';
import * as path from 'node:path';
import { routerConfigJsonSchema } from '../src/lib/config/router-config.schema';

export const JSON_SCHEMA_FILE = path.resolve(__dirname, '../schema/flotilla.schema.json');

export function renderJsonSchema(): string {
  return `${JSON.stringify(routerConfigJsonSchema(), null, 2)}\n`;
}

if (require.main === module || process.argv[1] === __filename) {
  fs.writeFileSync(JSON_SCHEMA_FILE, renderJsonSchema());
  console.log(`wrote ${path.relative(process.cwd(), JSON_SCHEMA_FILE)}`);
}
