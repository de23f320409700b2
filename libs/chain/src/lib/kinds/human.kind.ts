import { z } from 'zod';
import { type HumanAnswer, type OutputSchema, jsonSchema, step } from '@flotilla/core';
import { stepBase } from '../parse/chain-file.schema';
import { STRING, objectOf } from '../validate/static-type';
import type { FileStepKind } from './file-step-kind';
import { flattenScope } from './template.kind';

interface HumanDecl {
  question: string;
  schema?: Record<string, unknown>;
  expiresInMs?: number;
  onExpiry?: 'fail' | { default: HumanAnswer };
}

const Answer = z.strictObject({
  action: z.enum(['approve', 'reject', 'edit']),
  value: z.unknown().optional().describe('The edited value (action: edit)'),
  comment: z.string().optional(),
});

/**
 * `human: { question, schema, expiresInMs, onExpiry }`: asks a person to approve, reject or edit
 * the value (see core's `step.human`). The output is `{ action, approved, value, comment }`.
 */
export const HUMAN_KIND: FileStepKind = {
  key: 'human',
  schema: () =>
    z.strictObject({
      ...stepBase,
      human: z.strictObject({
        question: z.string().describe('The question put to the person: a Handlebars template over the scope and ${value}'),
        schema: z.record(z.string(), z.unknown()).optional().describe('JSON Schema an edited value must match'),
        expiresInMs: z.int().min(1).optional().describe('How long a waiting run waits, from its first pause'),
        onExpiry: z.union([z.literal('fail'), z.strictObject({ default: Answer })]).optional().describe('After the expiry: fail (default), or take this answer'),
      }),
    }),
  children: () => [],
  compile(decl, { path, env }, c) {
    const d = decl['human'] as HumanDecl;
    const at = [...path, 'human'];
    const question = c.template(d.question, [...at, 'question'], env);
    let schema: OutputSchema<unknown> | undefined;
    if (d.schema !== undefined) {
      try {
        schema = jsonSchema(d.schema, `human step schema`, { portable: false });
      } catch (e) {
        c.error([...at, 'schema'], 'schema', (e as Error).message);
      }
    }
    if (d.onExpiry !== undefined && d.onExpiry !== 'fail' && d.expiresInMs === undefined) {
      c.error([...at, 'onExpiry'], 'humanExpiry', 'onExpiry applies after an expiry: give the step expiresInMs too');
    }
    return {
      step: step.human<unknown>({
        ...(decl.id !== undefined && { id: decl.id }),
        question: (value, ctx) => question?.text({ ...flattenScope(ctx.vars), value }) ?? d.question,
        ...(schema && { schema }),
        ...(d.expiresInMs !== undefined && { expiresInMs: d.expiresInMs }),
        ...(d.onExpiry !== undefined && { onExpiry: d.onExpiry }),
      }) as never,
      type: objectOf({ action: STRING, approved: { type: 'boolean' }, value: schema?.jsonSchema ?? env.value, comment: STRING }),
    };
  },
};
