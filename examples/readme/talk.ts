import { z } from 'zod';
import { type Ref, createFlotilla, defineAgent, defineChain, step, zodSchema } from '@flotilla/core';
import { OllamaModelClient } from '@flotilla/adapter-ollama';

const planner = defineAgent({
  name: 'planner',
  model: 'llama3.2:3b',
  output: zodSchema(z.object({ topics: z.array(z.string().max(60)).min(1).max(4) })),
  prompt: (subject: string) => `List up to four topics for a short talk on ${subject}, as JSON.`,
});
const writer = defineAgent({ name: 'writer', model: 'llama3.2:3b', prompt: (topic: string) => `One sentence on ${topic}.` });

const talk = defineChain('talk', (subject: Ref<string>) => {
  const plan = step.call(planner, { id: 'plan' });
  return step.sequence(
    plan,
    step.fanOut({ id: 'lines', over: (p) => p.topics, step: step.call(writer), concurrency: 2 }),
    step.map((lines, ctx) => `${ctx.get(subject)}: ${ctx.get(plan).topics.length} topics\n${lines.join('\n')}`),
  );
});

async function main(): Promise<void> {
  const flotilla = createFlotilla({ client: new OllamaModelClient({ host: process.env['OLLAMA_HOST'] ?? 'http://127.0.0.1:11434' }) });
  const result = await flotilla.run(talk, 'harbours').result;
  console.log(result.status === 'succeeded' ? result.output : result.error);
  console.log(result.steps.map((s) => s.key)); // plan, lines/step[0], lines/step[1], ..., lines, 2, ''
  await flotilla.close();
}

void main();
