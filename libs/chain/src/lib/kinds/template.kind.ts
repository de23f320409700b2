import { z } from 'zod';
import { mapKind, type Step } from '@flotilla/core';
import { stepBase } from '../parse/chain-file.schema';
import { STRING } from '../validate/static-type';
import type { FileStepKind } from './file-step-kind';

/** The core kind of a template step: a map that renders text (traces say `template`). */
const TEMPLATE = mapKind('template');

/** `template: "..."`: renders text with a Handlebars template over the scope and `value`. */
export const TEMPLATE_KIND: FileStepKind = {
  key: 'template',
  schema: () => z.strictObject({ ...stepBase, template: z.string().describe('Renders text: a Handlebars template over the scope and ${value}') }),
  children: () => [],
  compile(decl, { path, env }, c) {
    const compiled = c.template(decl['template'] as string, [...path, 'template'], env);
    return {
      step: {
        type: TEMPLATE,
        ...(decl.id !== undefined && { id: decl.id }),
        fn: (value: unknown, ctx: { vars: Readonly<Record<string, unknown>> }) => compiled!.text({ ...flattenScope(ctx.vars), value }),
      } as Step<unknown, unknown>,
      type: STRING,
    };
  },
};

/** The scope as one plain object (fan-out scopes inherit from the run's), for templates. */
export function flattenScope(scope: object): Record<string, unknown> {
  const chain: object[] = [];
  for (let o: object | null = scope; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) chain.unshift(o);
  return Object.assign({}, ...chain) as Record<string, unknown>;
}
