import { z } from 'zod';
import { mapKind, type Step } from '@flotilla/core';
import { ValueTemplate, stepBase } from '../parse/chain-file.schema';
import { type FileStepKind, refFn } from './file-step-kind';

/** The core kind of a value step: a map that builds a value from references (traces say `value`). */
const VALUE = mapKind('value');

/** `value: ...`: builds a value from `${...}` references to the scope and `value`. */
export const VALUE_KIND: FileStepKind = {
  key: 'value',
  schema: () => z.strictObject({ ...stepBase, value: ValueTemplate }),
  children: () => [],
  compile(decl, { path, env }, c) {
    const { fn, type } = c.value(decl['value'], [...path, 'value'], env);
    return { step: { type: VALUE, ...(decl.id !== undefined && { id: decl.id }), fn: refFn(fn) } as Step<unknown, unknown>, type };
  },
};
