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
 * - tool calls: under a forced tool choice (required, a named tool) the adapter constrains the
 *   reply with the call's grammar, so random weights write a valid call; a scripted call is a
 *   literal grammar of that call object. Without a forced choice a scripted call is written as
 *   text (Hermes `<tool_call>` tags), which the engine recovers.
 * Not possible on an embedded engine, hence skipped: the client-level tool-call case (`toolCalls`:
 * with `auto` the tools are offered through the model's template and a call the model starts is
 * finished under a grammar of any offered tool's parameters, so which call random weights make
 * cannot be scripted; the harness's literal grammars replace the functions; offered-tools.spec
 * covers `auto` with a model that opens a call),
 * mid-stream errors and dropped connections (there is no connection and no server-side stream),
 * and `unavailable` (nothing between the client and the engine can fail on demand).
 */
const HOLD = '<hold>';
const SLOTS = 2;
const MAX_QUEUE = 3;
const FREE_TEXT = 'root ::= [ -~]+';
const NO_END = 'root ::= [a-z] root';

async function harness(): Promise<ModelClientContractHarness> {
  const models = await writeSyntheticModels({ contract: { seed: 11, stopBias: 0, contextLength: 8192 } });
  let nextGrammar: string | undefined;
  /** Scripted tool calls: their grammar depends on whether the next request forces a call. */
  let scriptedCalls: { name: string; arguments: Record<string, unknown> }[] | undefined;
  const isHolder = (r: ChatRequest) => r.messages[0]?.content === HOLD;
  const client = new LlamaCppModelClient({
    models: {
      'synthetic:contract': { path: models.path('contract'), slots: SLOTS, maxQueue: MAX_QUEUE, contextSize: 8192 },
      'synthetic:missing': { path: join(models.dir, 'not-there.gguf') },
    },
    grammar: (r) => {
      if (isHolder(r)) return NO_END;
      // A forced tool call (tool choice required or named) gets the call's grammar unless a reply is scripted.
      const forced = !!r.tools?.length && r.toolChoice !== undefined && r.toolChoice !== 'auto' && r.toolChoice !== 'none';
      if (scriptedCalls) {
        const calls = scriptedCalls;
        scriptedCalls = undefined;
        const text = forced && calls.length === 1 ? JSON.stringify({ name: calls[0]!.name, arguments: calls[0]!.arguments }) : toolCallsAsText(calls);
        return `root ::= ${gbnfLiteral(text)}`;
      }
      const g = nextGrammar ?? (forced ? undefined : FREE_TEXT);
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
        case 'toolCall':
        case 'toolCalls': {
          // Under a forced tool choice the model writes the call object (what the adapter's call grammar allows);
          // otherwise, offered no tools, it writes the calls in its text, and the engine recovers them.
          const calls = b.type === 'toolCall' ? [{ name: b.name, arguments: b.arguments }] : b.calls;
          scriptedCalls = calls;
          return;
        }
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
  skip: ['toolCalls', 'midStream'],
  errorKinds: ['overloaded', 'modelNotFound', 'badRequest'],
});
