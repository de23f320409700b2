import type { ChatMessage, ToolCall } from '../model/chat-message';
import type { TokenUsage } from '../model/chat-event';
import { FlotillaError } from '../errors/flotilla-error';
import type { ToolExecutor, ToolOutcome } from '../tools/execute-tool';
import type { ResolvedAgent, ResolvedTools } from './agent-registry';
import type { RunContext } from './run-context';
import { toErrorInfo } from './error-info';

/**
 * The tool-loop state of one agent step, made at the first reply that calls tools (an agent
 * whose model never calls one carries none): the conversation after the prompt, the round,
 * the tool errors in a row, and the abort of the tools in flight.
 */
export class ToolLoop {
  /** Messages after the prompt: each reply with its tool calls, then the tools' messages. */
  readonly transcript: ChatMessage[] = [];
  round = 0;
  calls = 0;
  /** Tokens of every model call of the loop: the step's usage. */
  readonly usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  /** The next model call is the constrained one without tools that gives the structured answer. */
  finalCall = false;
  private errorsInARow = 0;
  private controller: AbortController | undefined;

  constructor(
    private readonly agent: ResolvedAgent,
    private readonly tools: ResolvedTools,
    private readonly ctx: RunContext,
    private readonly key: string,
    private readonly executor: ToolExecutor,
  ) {}

  /**
   * Runs the tool calls of `reply` (bounded in parallel), then appends the reply and the tool
   * messages to the transcript. Resolves when the loop may call the model again; rejects with
   * the error that fails the step (too many rounds, too many tool errors in a row, a result
   * that cannot be serialised, cancellation).
   */
  async runRound(reply: ChatMessage): Promise<void> {
    const calls = reply.toolCalls!;
    const { ctx, key, tools } = this;
    this.transcript.push(reply);
    if (this.round >= tools.maxRounds) {
      throw this.failure('budgetExceeded', `the model asked for tools after ${tools.maxRounds} rounds of tool calls (toolLoop.maxRounds)`, {
        budget: 'toolLoop.maxRounds',
        limit: tools.maxRounds,
      });
    }
    const round = this.round++;
    const controller = (this.controller = new AbortController());
    const outcomes: ToolOutcome[] = new Array(calls.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < calls.length) {
        const index = next++;
        const call = calls[index]!;
        const ids = call.id === undefined ? {} : { callId: call.id };
        const started: Parameters<RunContext['emit']>[0] = { type: 'tool.call', runId: ctx.runId, key, at: ctx.now(), round, index, tool: call.name, ...ids, arguments: call.arguments };
        if (call.recovered) started.recovered = true;
        ctx.emit(started);
        const outcome = await this.executor(
          { runId: ctx.runId, key, agent: this.agent.name, round, index, call, tool: tools.byName.get(call.name), known: tools.names },
          controller.signal,
        );
        if (controller.signal.aborted) return;
        outcomes[index] = outcome;
        const event: Parameters<RunContext['emit']>[0] = { type: 'tool.result', runId: ctx.runId, key, at: ctx.now(), round, index, tool: call.name, ...ids, ok: outcome.ok, content: outcome.content, ms: outcome.ms };
        if (outcome.truncated) event.truncated = outcome.truncated;
        if (outcome.error) event.error = toErrorInfo(outcome.error);
        ctx.emit(event);
      }
    };
    const workers: Promise<void>[] = [];
    for (let i = 0; i < Math.min(tools.concurrency, calls.length); i++) workers.push(worker());
    try {
      await Promise.all(workers);
    } catch (e) {
      controller.abort(e); // the other calls of the round stop too
      throw e;
    }
    if (controller.signal.aborted) throw FlotillaError.from(controller.signal.reason);
    this.controller = undefined;
    this.calls += calls.length;
    calls.forEach((call: ToolCall, i) => {
      const outcome = outcomes[i]!;
      const message: ChatMessage = { role: 'tool', content: outcome.content, toolName: call.name };
      if (call.id !== undefined) message.toolCallId = call.id;
      this.transcript.push(message);
      this.errorsInARow = outcome.ok ? 0 : this.errorsInARow + 1;
    });
    if (this.errorsInARow >= tools.maxConsecutiveErrors) {
      const last = outcomes.filter((o) => !o.ok).at(-1)!;
      throw this.failure('badOutput', `${this.errorsInARow} tool errors in a row (toolLoop.maxConsecutiveErrors is ${tools.maxConsecutiveErrors}); the last: ${last.error!.message}`, {
        limit: tools.maxConsecutiveErrors,
        last: toErrorInfo(last.error!),
      });
    }
  }

  addUsage(usage: TokenUsage): void {
    this.usage.promptTokens += usage.promptTokens;
    this.usage.completionTokens += usage.completionTokens;
  }

  /** Stops the tools in flight (cancellation, the loop's deadline). */
  abort(reason: unknown): void {
    this.controller?.abort(reason);
    this.controller = undefined;
  }

  /** An error that ends the step, keeping the transcript. */
  failure(kind: 'budgetExceeded' | 'badOutput' | 'timeout', message: string, details: Record<string, unknown>): FlotillaError {
    return new FlotillaError(kind, `agent "${this.agent.name}" in step "${this.key}": ${message}`, {
      retryable: false,
      details: { agent: this.agent.name, step: this.key, rounds: this.round, ...details, transcript: this.transcript.slice() },
    });
  }
}

/** For the constrained last call: the draft answer, and what to do with it. */
export function finalAnswerRequest(draft: string): ChatMessage[] {
  return [
    { role: 'assistant', content: draft },
    { role: 'user', content: 'Give your final answer now as JSON only, conforming to the required JSON Schema.' },
  ];
}
