import {
  type ChatCallOptions,
  type ChatEvent,
  type ChatRequest,
  Errors,
  type FinishReason,
  FlotillaError,
  closestName,
  abortableCall,
  type ToolCall,
  unsupportedOption,
} from '@flotilla/core';
import type { ChatModelFunctions, LlamaChatResponse, LlamaContextSequence, LlamaGrammar } from 'node-llama-cpp';
import { Observable, type Subject } from 'rxjs';
import { promptTokenCount, toChatHistory } from './chat-history.mapper';
import { offerableTools, offeredTools } from './offered-tools';
import { DEFAULT_TEMPERATURE, type ResolvedLlamaCppOptions } from './llama-cpp-client.options';
import { toFlotillaError } from './llama-cpp-error.mapper';
import type { LlamaCppEvent, RequestOutcome } from './llama-cpp.events';
import type { LoadedModel, ModelHost } from './model-host';
import { importNodeLlamaCpp } from './node-llama-cpp.loader';
import { type GrammarCache, checkStructuredOutput } from './structured-output';
import { forcedToolCall, parseForcedCall } from './forced-tool-call';

/** The key of this adapter's provider options (`providerOptions.llamaCpp`). */
export const LLAMA_CPP_PROVIDER = 'llamaCpp';

/** Runner options this adapter takes per model (its constructor), not per request. */
const RUNNER_OPTIONS = ['numCtx', 'keepAlive', 'numThread', 'numGpu', 'numBatch'] as const;

/** What one chat call needs from the client that runs it. */
export interface ChatRunContext {
  config: ResolvedLlamaCppOptions;
  endpoint: string;
  host(model: string): ModelHost | undefined;
  grammars(loaded: LoadedModel): GrammarCache;
  events: Subject<LlamaCppEvent>;
  nextId(): number;
}

const FINISH: Readonly<Record<LlamaChatResponse['metadata']['stopReason'], FinishReason>> = {
  eogToken: 'stop',
  stopGenerationTrigger: 'stop',
  customStopTrigger: 'stop',
  maxTokens: 'length',
  functionCalls: 'toolCalls',
  abort: 'other',
};

/**
 * One chat call on the embedded engine, as a cold Observable: wait for a sequence of the
 * model's context (queueing beyond its slots), load the model if needed, generate with the
 * model's own chat template, stream text pieces. Unsubscribing or aborting `options.signal`
 * aborts the generation; the sequence is freed either way.
 */
export function llamaCppChat(ctx: ChatRunContext, request: ChatRequest, options: ChatCallOptions = {}): Observable<ChatEvent> {
  return abortableCall<ChatEvent>(
    options.signal,
    async (signal, emit) => {
      const id = ctx.nextId();
      const tag = { id, model: request.model, ...(options.agent === undefined ? {} : { agent: options.agent }) };
      const started = performance.now();
      const host = ctx.host(request.model);
      if (!host) {
        const known = [...ctx.config.models.keys()];
        const near = closestName(request.model, known);
        throw new FlotillaError('modelNotFound', `model '${request.model}' is not configured${near ? ` (did you mean '${near}'?)` : ''}`, {
          details: { model: request.model, known },
        });
      }
      ctx.events.next({ type: 'queued', ...tag });
      let hadSequence = false;
      let outcome: RequestOutcome = 'failed';
      let errorKind: FlotillaError['kind'] | undefined;
      try {
        await host.lease(options.priority ?? 0, signal);
      } catch (e) {
        const err = toFlotillaError(e, { model: request.model });
        ctx.events.next({ type: 'finished', ...tag, outcome: signal.aborted ? 'cancelled' : 'failed', hadSequence, errorKind: err.kind });
        throw err;
      }
      const queueMs = performance.now() - started;
      let sequence: LlamaContextSequence | undefined;
      try {
        const { loaded, loadMs } = await host.use((expectedLoadMs) => emit({ type: 'loading', expectedLoadMs, endpoint: ctx.endpoint }));
        if (signal.aborted) throw Errors.aborted('model call');
        sequence = loaded.freeSequences.pop();
        if (!sequence) throw new FlotillaError('unavailable', `model '${request.model}': no free sequence although a slot was granted`);
        hadSequence = true;
        ctx.events.next({ type: 'started', ...tag, queueMs });
        await generate(ctx, loaded, sequence, request, signal, { emit, timings: { queueMs, ...(loadMs === undefined ? {} : { loadMs }) }, started });
        outcome = 'completed';
      } catch (e) {
        outcome = signal.aborted ? 'cancelled' : 'failed';
        const err = toFlotillaError(e, { model: request.model });
        errorKind = err.kind;
        throw err;
      } finally {
        if (sequence) await giveBack(host, sequence, outcome);
        host.release();
        ctx.events.next({ type: 'finished', ...tag, outcome, hadSequence, ...(errorKind ? { errorKind } : {}) });
      }
    },
    (error) => toFlotillaError(error, { model: request.model }),
  );
}

/** A call's arguments as the model wrote them (the grammar's stop trigger trimmed). */
function parseWritten(call: { name: string; args: string }): unknown {
  try {
    return JSON.parse(call.args.trim());
  } catch (cause) {
    throw new FlotillaError('badOutput', `the model's call of tool "${call.name}" has arguments that are not JSON`, { cause, details: { raw: call.args } });
  }
}

/**
 * Returns a sequence to its model. After a cancelled or failed generation its state is
 * cleared first (which also waits for an evaluation still in flight); after a completed
 * one it keeps its tokens for prefix reuse. A sequence of an unloaded model is dropped.
 */
async function giveBack(host: ModelHost, sequence: LlamaContextSequence, outcome: RequestOutcome): Promise<void> {
  if (sequence.disposed) return;
  if (outcome !== 'completed') await sequence.clearHistory().catch(() => undefined);
  const loaded = host.loaded;
  if (loaded && sequence.context === loaded.context) loaded.freeSequences.push(sequence);
}

interface GenerateIo {
  emit(e: ChatEvent): void;
  timings: { queueMs: number; loadMs?: number };
  /** When the call was subscribed. */
  started: number;
}

async function generate(
  ctx: ChatRunContext,
  loaded: LoadedModel,
  sequence: LlamaContextSequence,
  request: ChatRequest,
  signal: AbortSignal,
  io: GenerateIo,
): Promise<void> {
  const { LlamaChat } = await importNodeLlamaCpp();
  const chat = new LlamaChat({ contextSequence: sequence, chatWrapper: loaded.chatWrapper, autoDisposeSequence: false });
  try {
    const history = toChatHistory(request.messages);
    // providerOptions.llamaCpp: `grammar` (GBNF text) as a grammar, the rest as node-llama-cpp generation options.
    const { grammar: gbnf, ...extra } = (request.providerOptions?.[LLAMA_CPP_PROVIDER] ?? {}) as { grammar?: unknown } & Record<string, unknown>;
    // A call that must be a tool call (tool choice `required` or a named tool) is written under a grammar of the call object.
    const forced = forcedToolCall(request);
    // A grammar of the caller's own replaces the call's; what it makes the model write must still be a valid call.
    const custom = request.format ? undefined : typeof gbnf === 'string' ? gbnf : ctx.config.grammar?.(request);
    // With `auto`, the tools are offered through the model's chat template (node-llama-cpp's function calling):
    // the model may answer or start a call, and a call it starts is finished under a grammar of that tool's parameters.
    // A grammar of the caller's own (or an output format) leaves no room for that: the tools are then not offered.
    const offered = offerableTools(request);
    const constrainedBy = request.format ? 'the output format' : custom !== undefined ? 'a grammar of your own' : undefined;
    const asFunctions = offered && !constrainedBy ? offeredTools(offered) : undefined;
    const functions = asFunctions?.functions;
    const promptTokens = promptTokenCount(loaded, history, functions);
    const room = loaded.contextSize - promptTokens;
    if (room < 1) {
      throw new FlotillaError('contextOverflow', `prompt of ${promptTokens} tokens does not fit the ${loaded.contextSize}-token context of '${request.model}'`, {
        details: { promptTokens, contextSize: loaded.contextSize, model: request.model },
      });
    }
    let grammar: LlamaGrammar | undefined;
    if (request.format) grammar = await ctx.grammars(loaded).forSchema(request.format);
    else if (custom !== undefined) grammar = await ctx.grammars(loaded).forGbnf(custom);
    else if (forced) grammar = await ctx.grammars(loaded).forSchema(forced.schema);
    const o = request.options ?? {};
    const warnings = RUNNER_OPTIONS.filter((k) => o[k] !== undefined).map((k) => unsupportedOption(LLAMA_CPP_PROVIDER, k, "it is set per model, in the client's options (models.<name>)"));
    if (asFunctions?.unenforced.length) {
      warnings.push(unsupportedOption(LLAMA_CPP_PROVIDER, 'tools', `the call grammar does not enforce ${asFunctions.unenforced.join('; ')} (every call is checked against its tool's schema; an invalid one goes back to the model)`));
    }
    if (offered && constrainedBy) warnings.push(unsupportedOption(LLAMA_CPP_PROVIDER, 'tools', `not offered to the model: ${constrainedBy} constrains the whole reply`));
    let text = '';
    let completionTokens = 0;
    let firstTokenAt: number | undefined;
    const genStart = performance.now();
    // Tokens of a function call do not pass through onToken: the sequence's meter counts every one.
    const outputBefore = sequence.tokenMeter.usedOutputTokens;
    /** The calls the model writes (with `auto`), as their arguments stream. */
    const written = new Map<number, { name: string; args: string }>();
    const response = await chat
      .generateResponse<ChatModelFunctions | undefined>(history, {
        signal,
        stopOnAbortSignal: false,
        // Never past the window: a reply that does not fit is cut (finishReason "length"), not shifted.
        maxTokens: Math.min(o.maxTokens ?? Infinity, room),
        temperature: o.temperature ?? DEFAULT_TEMPERATURE,
        ...(o.topK === undefined ? {} : { topK: o.topK }),
        ...(o.topP === undefined ? {} : { topP: o.topP }),
        ...(o.minP === undefined ? {} : { minP: o.minP }),
        ...(o.seed === undefined ? {} : { seed: o.seed }),
        ...(o.repeatPenalty === undefined ? {} : { repeatPenalty: { penalty: o.repeatPenalty } }),
        ...(o.stop?.length ? { customStopTriggers: o.stop } : {}),
        // One or the other (node-llama-cpp takes a grammar or functions on one call, never both).
        ...((grammar
          ? { grammar }
          : functions
            ? {
                functions,
                maxParallelFunctionCalls: Math.max(1, offered!.length),
                // The arguments of a call the model writes stream as they are generated.
                onFunctionCallParamsChunk: (c: { callIndex: number; functionName: string; paramsChunk: string }) => {
                  firstTokenAt ??= performance.now();
                  const call = written.get(c.callIndex);
                  if (call) call.args += c.paramsChunk;
                  else written.set(c.callIndex, { name: c.functionName, args: c.paramsChunk });
                  io.emit({ type: 'toolCallDelta', index: c.callIndex, ...(call ? {} : { name: c.functionName }), argumentsDelta: c.paramsChunk });
                },
              }
            : {}) as { grammar?: LlamaGrammar }),
        ...extra,
        onToken: (tokens) => {
          completionTokens += tokens.length;
        },
        onTextChunk: (piece) => {
          if (!piece) return;
          firstTokenAt ??= performance.now();
          text += piece;
          if (!forced) io.emit({ type: 'delta', text: piece });
        },
      })
      .catch((e: unknown) => {
        // node-llama-cpp checks a call's arguments against the bits of the schema its grammar knows, and throws
        // when they miss (its grammar lets an integer have an exponent, -60401201E5202, which its check calls a number): the
        // model's mistake, so the call goes to the engine
        // as written, whose check of the tool's own schema sends it back to the model as a tool error.
        // Duck-typed (node-llama-cpp may be of another realm): LlamaJsonSchemaValidationError carries the object and the schema.
        const invalid = typeof e === 'object' && e !== null && e.constructor?.name === 'LlamaJsonSchemaValidationError' && 'schema' in e;
        if (!invalid || written.size === 0 || signal.aborted) throw e;
        return { response: '', functionCalls: [...written.values()].map((c) => ({ functionName: c.name, params: parseWritten(c) })), metadata: { stopReason: 'functionCalls' as const } };
      });
    if (signal.aborted) throw Errors.aborted('model call', signal.reason);
    const finishReason = FINISH[response.metadata.stopReason];
    // Count the end-of-turn token too, as llama.cpp's server and Ollama do: it was sampled.
    if (response.metadata.stopReason === 'eogToken') completionTokens++;
    let toolCalls: ToolCall[] | undefined;
    if (forced) {
      if (finishReason !== 'stop') {
        throw new FlotillaError('badOutput', `the forced tool call was cut off (${finishReason}) after ${completionTokens} tokens; give string arguments a maxLength`, { details: { raw: text } });
      }
      const problem = checkStructuredOutput(forced.schema, text);
      if (problem) throw problem;
      toolCalls = [parseForcedCall(text)];
      io.emit({ type: 'toolCall', call: toolCalls[0]! });
    } else if (response.functionCalls?.length) {
      // Written under the grammar of each tool's parameters; the engine checks them again against the tool's own schema.
      const calls: ToolCall[] = response.functionCalls.map((c) => ({ name: c.functionName, arguments: (c.params ?? {}) as Record<string, unknown> }));
      for (const call of calls) io.emit({ type: 'toolCall', call });
      toolCalls = calls;
      completionTokens = Math.max(completionTokens, sequence.tokenMeter.usedOutputTokens - outputBefore);
    } else if (request.format && finishReason === 'stop') {
      const problem = checkStructuredOutput(request.format, text);
      if (problem) throw problem;
    }
    const ended = performance.now();
    io.emit({
      type: 'final',
      message: toolCalls ? { role: 'assistant', content: forced ? '' : response.response, toolCalls } : { role: 'assistant', content: text },
      finishReason: toolCalls ? 'toolCalls' : finishReason,
      usage: { promptTokens, completionTokens },
      timings: {
        ...io.timings,
        ...(firstTokenAt === undefined
          ? {}
          : { firstTokenMs: firstTokenAt - io.started, promptEvalMs: firstTokenAt - genStart, evalMs: ended - firstTokenAt }),
        totalMs: ended - io.started,
      },
      model: request.model,
      endpoint: ctx.endpoint,
      ...(warnings.length ? { warnings } : {}),
    });
  } finally {
    chat.dispose({ disposeSequence: false });
  }
}
