import { z } from 'zod';
import { sequenceOf } from '@flotilla/core';
import { stepBase } from '../parse/chain-file.schema';
import type { FileStepKind } from './file-step-kind';

/** `sequence: [steps]`: steps in order (a list of steps anywhere is the same thing). */
export const SEQUENCE_KIND: FileStepKind = {
  key: 'sequence',
  schema: (child) => z.strictObject({ ...stepBase, sequence: z.array(child).min(1).describe('Steps run in order, each getting the previous output') }),
  children: (decl) => (decl['sequence'] as unknown[]).map((_, i) => ['sequence', i]),
  compile(decl, { path, env, scope }, c) {
    const { steps, type } = c.list(decl['sequence'] as unknown[], [...path, 'sequence'], env, scope);
    return { step: sequenceOf(steps, decl.id !== undefined ? { id: decl.id } : {}), type };
  },
};
