import type { ModelClient } from '@flotilla/core';
import { OllamaModelClient } from '@flotilla/adapter-ollama';
import { OpenAICompatibleModelClient } from '@flotilla/adapter-openai';
import { OllamaSimServer, OpenAITestServer } from '@flotilla/testing';

/** What the next request's server does, in terms both simulators can script. */
export type TargetScript =
  | { type: 'text'; text: string; chunks: number; intervalMs?: number }
  | { type: 'structured' }
  | { type: 'toolCall'; name: string; arguments: Record<string, unknown> }
  | { type: 'overloaded' }
  | { type: 'midStreamError'; afterChunks: number; message: string };

/** A real adapter wired to a simulator that speaks its wire protocol on 127.0.0.1. */
export interface AdapterTarget {
  readonly client: ModelClient;
  readonly model: string;
  readonly missingModel: string;
  scriptNext(script: TargetScript): void;
  close(): Promise<void>;
}

export interface TargetFactory {
  readonly name: string;
  start(): Promise<AdapterTarget>;
}

export const ollamaTarget: TargetFactory = {
  name: 'OllamaModelClient vs OllamaSimServer',
  async start() {
    const sim = new OllamaSimServer({ models: [{ name: 'qwen3:4b', loadMs: 200 }], numParallel: 2, timeScale: 0.01 });
    const host = await sim.start();
    return {
      client: new OllamaModelClient({ host }),
      model: 'qwen3:4b',
      missingModel: 'no-such-model:1b',
      scriptNext(script) {
        switch (script.type) {
          case 'text':
            return sim.scriptNext({ text: script.text, chunks: script.chunks, intervalMs: script.intervalMs });
          case 'structured':
            return; // the simulator's default reply to a schema `format` conforms to it
          case 'toolCall':
            return sim.scriptNext({ toolCalls: [{ name: script.name, arguments: script.arguments }] });
          case 'overloaded':
            return sim.scriptNext({ fault: { type: 'status', status: 503 } });
          case 'midStreamError':
            return sim.scriptNext({ fault: { type: 'midStreamError', afterChunks: script.afterChunks, message: script.message } });
        }
      },
      close: () => sim.close(),
    };
  },
};

export const openAITarget: TargetFactory = {
  name: 'OpenAICompatibleModelClient vs OpenAITestServer',
  async start() {
    const server = new OpenAITestServer({ models: ['harbour-model'], slots: 2, timeScale: 0.02 });
    await server.start();
    return {
      client: new OpenAICompatibleModelClient({ baseURL: server.baseURL, env: {} }),
      model: 'harbour-model',
      missingModel: 'no-such-model',
      scriptNext(script) {
        switch (script.type) {
          case 'text':
            return server.scriptNext({ text: script.text, chunks: script.chunks, intervalMs: script.intervalMs });
          case 'structured':
            return server.scriptNext({});
          case 'toolCall':
            return server.scriptNext({ toolCalls: [{ name: script.name, arguments: script.arguments }] });
          case 'overloaded':
            return server.scriptNext({ fault: 'http503' });
          case 'midStreamError':
            return server.scriptNext({ fault: { name: 'errorMidStream', arg: script.afterChunks }, message: script.message });
        }
      },
      close: () => server.close(),
    };
  },
};
