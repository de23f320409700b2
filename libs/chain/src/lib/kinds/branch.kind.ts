import { z } from 'zod';
import { step } from '@flotilla/core';
import { Condition, stepBase } from '../parse/chain-file.schema';
import type { ConditionDecl } from '../parse/chain-file.schema';
import { type FileStepKind, refFn } from './file-step-kind';

interface BranchDecl {
  if: ConditionDecl;
  then: unknown;
  else?: unknown;
}

/** `branch: { if, then, else }`: `then` when the condition holds, else `else` (or the value passes through). */
export const BRANCH_KIND: FileStepKind = {
  key: 'branch',
  schema: (child) => z.strictObject({ ...stepBase, branch: z.strictObject({ if: Condition, then: child, else: child.optional() }) }),
  children: (decl) => [['branch', 'then'], ...((decl['branch'] as BranchDecl).else !== undefined ? [['branch', 'else']] : [])],
  compile(decl, { path, env, scope }, c) {
    const d = decl['branch'] as BranchDecl;
    const at = [...path, 'branch'];
    const cond = c.condition(d.if, [...at, 'if'], env);
    if (typeof d.if === 'boolean') {
      const dead = d.if ? 'else' : 'then';
      if (d.if || d.else !== undefined) c.warn([...at, dead], 'unreachable', `branch.${dead} never runs: the condition is always ${d.if}`, 'remove the branch or make its condition a reference');
    }
    const then = c.steps(d.then, [...at, 'then'], env, scope);
    const otherwise = d.else === undefined ? undefined : c.steps(d.else, [...at, 'else'], env, scope);
    const same = JSON.stringify(then.type) === JSON.stringify(otherwise ? otherwise.type : env.value);
    return {
      step: step.branch({ ...(decl.id !== undefined && { id: decl.id }), if: refFn(cond), then: then.step, ...(otherwise && { else: otherwise.step }) }),
      type: same ? then.type : undefined,
    };
  },
};
