import { createFlotilla, defineAgent } from '@flotilla/core';
import { OllamaModelClient } from '@flotilla/adapter-ollama';

const haiku = defineAgent({
  name: 'haiku',
  model: 'llama3.2:3b',
  prompt: (topic: string) => `Write a haiku about ${topic}.`,
});

async function main(): Promise<void> {
  const flotilla = createFlotilla({ client: new OllamaModelClient({ host: process.env['OLLAMA_HOST'] ?? 'http://127.0.0.1:11434' }) });
  const run = flotilla.run(haiku, 'ships');
  for await (const event of run) if (event.type === 'token') process.stdout.write(event.text);
  const result = await run.result;
  console.log(`\n${result.status} in ${result.durationMs.toFixed(0)} ms`);
  await flotilla.close();
}

void main();
