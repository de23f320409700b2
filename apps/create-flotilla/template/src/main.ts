// The manager -> workers -> reviewer coding pipeline of @flotilla/agents, on recorded replies
// (no model needed) or, with FLOTILLA_BACKEND=ollama, on your Ollama (OLLAMA_HOST).
import * as path from 'node:path';
import { type ModelClient, createFlotilla } from '@flotilla/core';
import { FixtureModelClient } from '@flotilla/adapter-fixture';
import { OllamaModelClient } from '@flotilla/adapter-ollama';
import { codingPipeline, pipelineResult } from '@flotilla/agents';

const objective = process.argv[2] ?? 'Write a function that checks whether a string is a palindrome, ignoring case and punctuation, with tests';

function modelClient(): ModelClient {
  if (process.env['FLOTILLA_BACKEND'] === 'ollama') return new OllamaModelClient({ host: process.env['OLLAMA_HOST'] ?? 'http://127.0.0.1:11434' });
  return new FixtureModelClient({ cassette: path.resolve('chains/coding-pipeline/cassettes/palindrome.json') });
}

async function main(): Promise<void> {
  const flotilla = createFlotilla({ client: modelClient() });
  const pipeline = codingPipeline({ workerConcurrency: 2, maxReviewRounds: 2 });
  const result = pipelineResult(pipeline, objective, await flotilla.run(pipeline, objective).result);
  console.log(`${result.status}: ${result.plan?.steps.length ?? 0} step(s), approved: ${String(result.approved)}`);
  for (const s of result.plan?.steps ?? []) console.log(`- ${s.title}`);
  await flotilla.close();
  process.exitCode = result.status === 'succeeded' ? 0 : 1;
}

void main();
