import { Agent, createFlotillaContainer, defineChain, step, TOKENS, type ChatMessage, type FlotillaAgent, type PromptContext, type RunEvent, type RunOptions } from '@flotilla/core';
import { ScriptedModelClient, type ScriptFn } from '@flotilla/core/testing';
import { lastValueFrom, toArray, type Observable } from 'rxjs';

@Agent({ name: 'planner', role: 'manager', model: 'planner-3b' })
class Planner implements FlotillaAgent<string, string> {
  prompt(input: string): ChatMessage[] {
    return [{ role: 'user', content: `plan: ${input}` }];
  }
}

@Agent({ name: 'coder', role: 'worker', model: 'coder-7b', retries: 2, variants: [{ name: 'big' }, { name: 'small', model: 'coder-1b' }] })
class Coder implements FlotillaAgent<string, string> {
  prompt(input: string, ctx: PromptContext): ChatMessage[] {
    return [{ role: 'user', content: `${ctx.variant}: ${input}` }];
  }
}

/** planner -> 3 coders (fan-out) on a scripted client: real engine events. */
export const testChain = defineChain(
  'test-pipeline',
  step.sequence([step.call(Planner), step.fanOut({ items: () => ['a', 'b', 'c'], step: step.call(Coder), concurrency: 3 })]),
);

export function testEngine(script: ScriptFn = () => 'ok') {
  const client = new ScriptedModelClient(script);
  const engine = createFlotillaContainer({ client, agents: [Planner, Coder] }).get(TOKENS.ChainEngine);
  return {
    client,
    engine,
    run$: (options: RunOptions = {}): Observable<RunEvent> => engine.run$(testChain, 'reverse a string', options),
    run: (options: RunOptions = {}): Promise<RunEvent[]> => lastValueFrom(engine.run$(testChain, 'reverse a string', options).pipe(toArray())),
  };
}
