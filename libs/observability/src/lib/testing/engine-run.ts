import { createFlotilla, defineAgent, defineChain, step, type RunEvent, type RunHandle, type RunOptions } from '@flotilla/core';
import { ScriptedModelClient, type ScriptFn } from '@flotilla/core/testing';
import { lastValueFrom, toArray } from 'rxjs';

const planner = defineAgent({ name: 'planner', role: 'manager', model: 'planner-3b', prompt: (input: string) => `plan: ${input}` });

const coder = defineAgent({
  name: 'coder',
  role: 'worker',
  model: 'coder-7b',
  retries: 2,
  variants: [{ name: 'big' }, { name: 'small', model: 'coder-1b' }],
  prompt: (input: string, ctx) => `${ctx.variant}: ${input}`,
});

/** planner -> 3 coders (fan-out `code`): keys `0`, `code`, `code/step[0..2]` under the root sequence. */
export const testChain = defineChain(
  'test-pipeline',
  step.sequence(step.call(planner), step.fanOut({ id: 'code', over: () => ['a', 'b', 'c'], step: step.call(coder), concurrency: 3 })),
);

/** The test chain on a scripted client: real engine events through the public entry point. */
export function testEngine(script: ScriptFn = () => 'ok') {
  const client = new ScriptedModelClient(script);
  const flotilla = createFlotilla({ client });
  const start = (options: RunOptions = {}): RunHandle<string[]> => flotilla.run(testChain, 'reverse a string', options);
  return {
    client,
    flotilla,
    start,
    /** A whole run's events, subscribed as it starts. */
    run: (options: RunOptions = {}): Promise<RunEvent[]> => lastValueFrom(start(options).events.pipe(toArray())),
  };
}
