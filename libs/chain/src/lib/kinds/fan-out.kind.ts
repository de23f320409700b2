import { z } from 'zod';
import { step } from '@flotilla/core';
import { Reference, ValueTemplate, stepBase } from '../parse/chain-file.schema';
import { wholeReference } from '../compile/reference';
import { type StaticType, INTEGER, arrayOf, inferValueType } from '../validate/static-type';
import type { Binding, Env } from '../validate/scope-checker';
import { type FileStepKind, refFn } from './file-step-kind';

interface FanOutDecl {
  over: string;
  item?: unknown;
  step: unknown;
  concurrency?: number;
}

/** `fanOut: { over, item, step, concurrency }`: the step once per item of a list, in parallel. */
export const FAN_OUT_KIND: FileStepKind = {
  key: 'fanOut',
  schema: (child) =>
    z.strictObject({
      ...stepBase,
      fanOut: z.strictObject({
        over: Reference.describe('The list to fan out over'),
        item: ValueTemplate.optional().describe('Shapes each item (${item}, ${index} and the scope are available); default: the item itself'),
        step: child,
        concurrency: z.int().min(1).max(256).optional().describe('Branches in flight at once. Default 4'),
      }),
    }),
  children: () => [['fanOut', 'step']],
  compile(decl, { path, env }, c) {
    const d = decl['fanOut'] as FanOutDecl;
    const at = [...path, 'fanOut'];
    const overType = c.referenceType(wholeReference(d.over) ?? d.over, [...at, 'over'], env);
    if (overType && typeof overType['type'] === 'string' && overType['type'] !== 'array') {
      c.error([...at, 'over'], 'schemaMismatch', `fanOut.over: expected a list, but ${d.over} is a ${String(overType['type'])}`, 'point over at a list, e.g. ${plan.steps}');
    }
    const over = c.value(d.over, [...at, 'over'], env).fn;
    const rawItem = overType?.['type'] === 'array' ? (overType['items'] as StaticType) : undefined;
    const itemNames = new Map(env.names);
    itemNames.set('item', { type: rawItem });
    itemNames.set('index', { type: INTEGER });
    let itemType = rawItem;
    let shape: ReturnType<typeof c.value>['fn'] | undefined;
    if (d.item !== undefined) {
      const itemEnv: Env = { names: itemNames, value: env.value };
      const shaped = c.value(d.item, [...at, 'item'], itemEnv);
      shape = shaped.fn;
      itemType = inferValueType(d.item, (t) => c.referenceType(t, [...at, 'item'], itemEnv));
    }
    const childNames = new Map<string, Binding>(env.names);
    childNames.set('item', { type: itemType });
    childNames.set('index', { type: INTEGER });
    const child = c.steps(d.step, [...at, 'step'], { names: childNames, value: itemType }, childNames);
    c.scopeBranch(childNames, env);
    const overPath = d.over;
    const items = refFn(({ scope, extra }) => {
      const list = over({ scope, extra });
      if (!Array.isArray(list)) throw new TypeError(`fanOut.over ${overPath}: expected a list, got ${list === undefined ? 'nothing' : typeof list}`);
      return shape ? list.map((item, index) => shape!({ scope, extra: { value: extra?.['value'], item, index } })) : list;
    });
    return {
      step: step.fanOut({ ...(decl.id !== undefined && { id: decl.id }), over: items, step: child.step, ...(d.concurrency !== undefined && { concurrency: d.concurrency }) }),
      type: arrayOf(child.type),
    };
  },
};
