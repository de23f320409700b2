import { Container, inject, injectable } from 'inversify';
import { Agent, type FlotillaAgent, createFlotilla, defineChain, step } from '@flotilla/core';
import { OllamaModelClient } from '@flotilla/adapter-ollama';

@injectable()
class Glossary {
  define(term: string): string {
    return term === 'num_ctx' ? 'the context window a model is loaded with' : 'unknown';
  }
}

@Agent({ name: 'explainer', model: 'llama3.2:3b' })
class ExplainerAgent implements FlotillaAgent<string, string> {
  constructor(@inject(Glossary) private readonly glossary: Glossary) {}
  prompt(term: string): string {
    return `Explain "${term}" (${this.glossary.define(term)}) in one sentence.`;
  }
  result(text: string): string {
    return text.trim();
  }
}

async function main(): Promise<void> {
  const services = new Container();
  services.bind(Glossary).toSelf();
  const flotilla = createFlotilla({ client: new OllamaModelClient({ host: process.env['OLLAMA_HOST'] ?? 'http://127.0.0.1:11434' }), container: services });
  const result = await flotilla.run(defineChain('explain', step.call(ExplainerAgent)), 'num_ctx').result;
  console.log(result.output);
  await flotilla.close();
}

void main();
