import { step } from '@flotilla/core';
import { CallStepSchema } from '../parse/chain-file.schema';
import { type FileStepKind, refFn } from './file-step-kind';

/** `call: agent` (+ `input`): one model call of a declared agent. */
export const CALL_KIND: FileStepKind = {
  key: 'call',
  schema: () => CallStepSchema,
  children: () => [],
  compile(decl, { path, env }, c) {
    const name = decl['call'] as string;
    const agent = c.agent(name, [...path, 'call']);
    const hasInput = decl['input'] !== undefined;
    const input = hasInput ? c.value(decl['input'], [...path, 'input'], env) : undefined;
    if (agent) c.checkAgentInput(agent.resolved, input ? input.type : env.value, [...path, hasInput ? 'input' : 'call'], hasInput);
    // An agent known only by name (given to createFlotilla in code) is called by name.
    const options = { ...(decl.id !== undefined && { id: decl.id }), ...(input && { input: refFn(input.fn) }) };
    return {
      step: agent ? step.call(agent.spec, options as { id?: string; input: (v: unknown) => unknown }) : step.call(name, options),
      type: agent?.resolved.outputType,
    };
  },
};
