import { createFlotilla } from '@flotilla/core';
import { OllamaModelClient } from '@flotilla/adapter-ollama';
import { codingPipeline, pipelineResult } from '@flotilla/agents';

async function main(): Promise<void> {
  const flotilla = createFlotilla({
    client: new OllamaModelClient({ host: process.env['OLLAMA_HOST'] ?? 'http://127.0.0.1:11434' }),
    // Models per agent; the defaults are neural-chat, qwen2.5-coder:7b-q4_0 and mistral.
    config: { agents: { worker: { model: 'qwen2.5-coder:7b-q4_0' } } },
  });
  const pipeline = codingPipeline({ workerConcurrency: 4, maxReviewRounds: 2 });
  const objective = 'Create a function that reverses a string and tests it';
  const result = pipelineResult(pipeline, objective, await flotilla.run(pipeline, objective).result);
  console.log(result.status, result.plan?.steps.map((s) => s.title), result.approved);
  await flotilla.close();
}

void main();
