import type { ContractBehaviour, ModelClientContractHarness } from '@flotilla/core/testing';
import type { OllamaSimServer } from '../ollama/ollama-sim.server';
import type { SimReplySpec } from '../ollama/sim-reply';
import type { OpenAIScriptedReply } from '../openai/openai-scripted-reply';
import type { OpenAITestServer } from '../openai/openai-test.server';

/** The part of a contract harness that drives a simulator: script the next reply, see a cancellation, count requests. */
export type ContractScripting = Pick<ModelClientContractHarness, 'scriptNext' | 'observedCancellation' | 'requestCount'>;

type FaultBehaviour = Extract<ContractBehaviour, { type: 'error' | 'midStreamError' | 'drop' | 'hang' }>;

/** What both simulators script alike (the fields mean the same in SimReplySpec and OpenAIScriptedReply). */
interface ReplyScript {
  text?: string;
  chunks?: number;
  toolCalls?: { name: string; arguments: Record<string, unknown> }[];
  toolCallsAs?: 'text';
  intervalMs?: number;
}

/** Every behaviour that is a reply rather than a fault, as a script either simulator reads. */
function replyScript(b: Exclude<ContractBehaviour, FaultBehaviour>): ReplyScript {
  switch (b.type) {
    case 'text':
      return { text: b.text, chunks: b.chunks };
    case 'structured':
      // The simulators answer a request's schema with conforming JSON by default.
      return {};
    case 'toolCall':
      return { toolCalls: [{ name: b.name, arguments: b.arguments }] };
    case 'toolCalls':
      return { toolCalls: b.calls };
    case 'toolCallText':
      return { toolCalls: [{ name: b.name, arguments: b.arguments }], toolCallsAs: 'text' };
    case 'trickle':
      return { text: b.text, chunks: b.chunks, intervalMs: b.intervalMs };
  }
}

const OLLAMA_STATUS = { modelNotFound: 404, overloaded: 503, badRequest: 400, unavailable: 500 } as const;
const OPENAI_STATUS_FAULT = { modelNotFound: 'http404', overloaded: 'http503', badRequest: 'http400', unavailable: 'http500' } as const;

/** A contract behaviour as the next reply of an OllamaSimServer (errors as Ollama's HTTP statuses). */
export function ollamaSimReplyFor(b: ContractBehaviour): SimReplySpec {
  switch (b.type) {
    case 'error':
      return { fault: { type: 'status', status: OLLAMA_STATUS[b.kind] } };
    case 'midStreamError':
      return { fault: { type: 'midStreamError', afterChunks: b.afterChunks, message: b.message } };
    case 'drop':
      return { fault: { type: 'drop', afterChunks: b.afterChunks } };
    case 'hang':
      return { fault: { type: 'hang' } };
    default:
      return replyScript(b);
  }
}

/** A contract behaviour as the next reply of an OpenAITestServer (errors as its status faults). */
export function openAITestServerReplyFor(b: ContractBehaviour): OpenAIScriptedReply {
  switch (b.type) {
    case 'error':
      return { fault: OPENAI_STATUS_FAULT[b.kind] };
    case 'midStreamError':
      return { fault: { name: 'errorMidStream', arg: b.afterChunks }, message: b.message };
    case 'drop':
      return { fault: { name: 'dropMidStream', arg: b.afterChunks } };
    case 'hang':
      return { fault: 'hang' };
    default:
      return replyScript(b);
  }
}

/**
 * The shared ModelClient contract's hooks for a client that talks to `sim` (directly or through
 * the router): behaviours scripted as its next reply; a cancellation is seen when the last
 * generation request's client disconnected and nothing is generating any more.
 */
export function ollamaSimContractScripting(sim: OllamaSimServer): ContractScripting {
  return {
    scriptNext: (b) => sim.scriptNext(ollamaSimReplyFor(b)),
    observedCancellation: () => {
      const last = sim.generationRequests().at(-1);
      return !!last?.clientDisconnected && sim.activeGenerations === 0;
    },
    requestCount: () => sim.generationRequests().length,
  };
}

/**
 * The shared ModelClient contract's hooks for a client that talks to `server`: behaviours
 * scripted as its next reply; a cancellation is seen when the last chat request's client disconnected.
 */
export function openAITestServerContractScripting(server: OpenAITestServer): ContractScripting {
  return {
    scriptNext: (b) => server.scriptNext(openAITestServerReplyFor(b)),
    observedCancellation: () => server.chatRequests.at(-1)?.clientDisconnected === true,
    requestCount: () => server.chatRequests.length,
  };
}
