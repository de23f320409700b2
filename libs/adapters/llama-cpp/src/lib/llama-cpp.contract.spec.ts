import { join } from 'node:path';
import type { ChatRequest } from '@flotilla/core';
import { type ContractBehaviour, type ModelClientContractHarness, describeModelClientContract } from '@flotilla/core/testing';
import type { Subscription } from 'rxjs';
import { toolCallsAsText } from '@flotilla/testing';
import { writeSyntheticModels } from '../testing/synthetic-models';
import { gbnfLiteral } from './json-schema.gbnf';
import { LlamaCppModelClient } from './llama-cpp.model-client';

/**
 * The serving side here is llama.cpp itself, running a synthetic model with random weights:
 * what it says cannot be scripted, only constrained. So the harness scripts behaviours
 * with the engine's real mechanics:
 * - text: a grammar that admits exactly that text (chunks are the engine's: one per token);
 *   the default reply is free printable text of at least one character;
 * - structured: the request's own schema grammar;
 * - hang: every sequence is held by long "holder" generations, so the request waits in the
 *   queue and sees nothing until it goes away (then the holders are cancelled);
 * - trickle: a grammar with no end, so generation runs until the context window is full
 *   (seconds on this model), streaming all along;
 * - overloaded: holders fill every slot and the queue (maxQueue), so the request is refused;
 * - badRequest: a grammar that does not compile.
 * Not possible on an embedded engine, hence skipped: tool calls (whether a model calls a
 * tool is its own choice; random weights never do), mid-stream errors and dropped
 * connections (there is no connection and no server-side stream), and `unavailable`
 * (nothing between the client and the engine can fail on demand).
 * Tool choice and the tool loop are not applicable yet: the embedded engine does not offer
 * tools to the model (it says so in `warnings`); grammar-constrained tool calls, which let
 * random weights make a valid call, come with the small-model robustness work.
 */
const HOLD = '<hold>';
const SLOTS = 2;
const MAX_QUEUE = 3;
const FREE_TEXT = 'root ::= [ -~]+';
const NO_END = 'root ::= [a-z] root';

async function harness(): Promise<ModelClientContractHarness> {
  const models = await writeSyntheticModels({ contract: { seed: 11, stopBias: 0, contextLength: 8192 } });
  let nextGrammar: string | undefined;
  const isHolder = (r: ChatRequest) => r.messages[0]?.content === HOLD;
  const client = new LlamaCppModelClient({
    models: {
      'synthetic:contract': { path: models.path('contract'), slots: SLOTS, maxQueue: MAX_QUEUE, contextSize: 8192 },
      'synthetic:missing': { path: join(models.dir, 'not-there.gguf') },
    },
    grammar: (r) => {
      if (isHolder(r)) return NO_END;
      const g = nextGrammar ?? FREE_TEXT;
      nextGrammar = undefined;
      return g;
    },
  });
  await client.warm('synthetic:contract');

  const holders: Subscription[] = [];
  let requests = 0;
  let lastOutcome: { cancelled: boolean } | undefined;
  const holderIds = new Set<number>();
  const releaseHolders = () => {
    for (const h of holders.splice(0)) h.unsubscribe();
  };
  client.events$.subscribe((e) => {
    if (e.agent === 'holder') {
      holderIds.add(e.id);
      return;
    }
    if (e.type === 'queued') {
      requests++;
      lastOutcome = undefined;
    }
    if (e.type === 'finished') {
      lastOutcome = { cancelled: e.outcome === 'cancelled' };
      releaseHolders();
    }
  });
  const hold = (n: number) => {
    for (let i = 0; i < n; i++) {
      holders.push(
        client
          .chat({ model: 'synthetic:contract', messages: [{ role: 'system', content: HOLD }] }, { agent: 'holder' })
          .subscribe({ error: () => undefined }),
      );
    }
  };

  return {
    client,
    model: 'synthetic:contract',
    missingModel: 'synthetic:missing',
    scriptNext: (b: ContractBehaviour) => {
      switch (b.type) {
        case 'text':
          nextGrammar = `root ::= ${gbnfLiteral(b.text)}`;
          return;
        case 'toolCallText':
          // The model writes the call in its text, as a model the engine offers no tools to does.
          nextGrammar = `root ::= ${gbnfLiteral(toolCallsAsText([{ name: b.name, arguments: b.arguments }]))}`;
          return;
        case 'trickle':
          nextGrammar = NO_END;
          return;
        case 'hang':
          return hold(SLOTS);
        case 'error':
          if (b.kind === 'overloaded') return hold(SLOTS + MAX_QUEUE);
          if (b.kind === 'badRequest') nextGrammar = 'root ::= (';
          return;
        default:
          return;
      }
    },
    observedCancellation: () => !!lastOutcome?.cancelled && client.activeSequences === 0,
    requestCount: () => requests,
    close: async () => {
      releaseHolders();
      await client.close();
      await models.remove();
    },
  };
}

describeModelClientContract('LlamaCppModelClient on a synthetic GGUF model', harness, {
  skip: ['toolCalls', 'toolChoice', 'toolLoop', 'midStream'],
  errorKinds: ['overloaded', 'modelNotFound', 'badRequest'],
});
