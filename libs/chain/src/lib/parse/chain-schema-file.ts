import * as path from 'node:path';
import { z } from 'zod';
import { chainFileSchema } from './chain-file.schema';
import type { FileStepKinds } from '../kinds/file-step-kind';
import { BUILT_IN_STEP_KINDS } from '../kinds/built-in-kinds';

/** The published JSON Schema of chain files (for editors: `# yaml-language-server: $schema=...`). */
export const CHAIN_SCHEMA_FILE = path.resolve(__dirname, '../../../schema/chain.schema.json');

/** The JSON Schema of chain files with these step kinds. */
export function chainFileJsonSchema(kinds: FileStepKinds = BUILT_IN_STEP_KINDS): Record<string, unknown> {
  const step: z.ZodType = z.lazy(() => z.union(kinds.keys().map((k) => kinds.get(k)!.schema(stepOrList)) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]));
  const stepOrList: z.ZodType = z.lazy(() => z.union([step, z.array(step).min(1)]));
  const schema = z.toJSONSchema(chainFileSchema(stepOrList), { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://flotilla.dev/schema/chain.schema.json',
    title: 'Flotilla chain file',
    ...schema,
  };
}

/** The file's exact content, as the generator writes it. */
export function renderChainSchema(): string {
  return `${JSON.stringify(chainFileJsonSchema(), null, 2)}\n`;
}
