import type { ToolCall } from '../model/chat-message';
import { FlotillaError } from '../errors/flotilla-error';
import { Errors } from '../errors/errors';
import { DEFAULT_TOOL_RESULT_CHARS, DEFAULT_TOOL_TIMEOUT_MS, type Tool, type ToolContext } from './tool';

/**
 * One tool call of one step, identified as a journal would key it: the same in every run that
 * takes the same decisions (`runId`, step `key`, loop `round`, `index` in the reply).
 */
export interface ToolInvocation {
  readonly runId: string;
  readonly key: string;
  readonly agent: string;
  /** 0 for the tools of the step's first model reply. */
  readonly round: number;
  /** The call's place in its reply. */
  readonly index: number;
  readonly call: ToolCall;
  /** The agent's tool of that name; undefined when the model named a tool the agent does not have. */
  readonly tool: Tool<never, unknown> | undefined;
  /** The agent's tool names, for an unknown-tool message. */
  readonly known: readonly string[];
}

/** What a tool call gives back to the model. */
export interface ToolOutcome {
  /** False for a tool error: thrown, invalid arguments, unknown tool, timeout, result over the cap with `onOversize: 'fail'`. */
  readonly ok: boolean;
  /** The tool message's content: the serialised result (perhaps marked as truncated) or the error, worded for the model. */
  readonly content: string;
  readonly error?: FlotillaError;
  /** Set when the result was cut to the cap. */
  readonly truncated?: { shown: number; total: number };
  readonly ms: number;
}

/**
 * Runs tool calls. The engine runs every tool through one executor, so whatever must wrap tool
 * execution (a run journal that must never run a completed call twice, a sandbox) wraps it here.
 * Resolves with a tool error for the model's mistakes; rejects (failing the step) only for a
 * result that cannot be serialised, a `userCode` error naming the tool.
 */
export type ToolExecutor = (invocation: ToolInvocation, signal: AbortSignal) => Promise<ToolOutcome>;

/** The executor the engine uses unless given another. */
export const executeTool: ToolExecutor = async (invocation, signal) => {
  const started = performance.now();
  const { tool, call } = invocation;
  const failed = (error: FlotillaError): ToolOutcome => ({ ok: false, content: `Error: ${error.message}`, error, ms: performance.now() - started });
  if (!tool) {
    const error = new FlotillaError('badOutput', `there is no tool "${call.name}"; the tools are: ${invocation.known.join(', ')}`, {
      retryable: false,
      details: { tool: call.name, known: invocation.known },
    });
    return failed(error);
  }
  const args = tool.parseArgs(call.arguments);
  if (!args.ok) {
    return failed(new FlotillaError('badOutput', `invalid arguments for tool "${tool.name}": ${args.error}`, { retryable: false, details: { tool: tool.name, problem: args.error } }));
  }
  if (signal.aborted) throw Errors.aborted(`tool "${tool.name}"`, signal.reason);
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const context: ToolContext = { signal: controller.signal, agent: invocation.agent, key: invocation.key };
  if (call.id !== undefined) (context as { callId?: string }).callId = call.id;
  let value: unknown;
  try {
    value = tool.run(args.value as never, context);
    // A tool that answers synchronously cannot be interrupted: no timer, no race.
    if (isThenable(value)) value = await withDeadline(value, tool, controller);
  } catch (e) {
    if (signal.aborted) throw Errors.aborted(`tool "${tool.name}"`, signal.reason);
    if (FlotillaError.is(e, 'timeout') && e.details['deadline'] === 'tool') return failed(e);
    return failed(Errors.userCode(e, { fn: `tool "${tool.name}"`, step: invocation.key, agent: invocation.agent }));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  const content = serialise(value, tool.name, invocation);
  const cap = tool.maxResultChars ?? DEFAULT_TOOL_RESULT_CHARS;
  if (content.length <= cap) return { ok: true, content, ms: performance.now() - started };
  if (tool.onOversize === 'fail') {
    return failed(
      new FlotillaError('badOutput', `tool "${tool.name}" returned ${content.length} characters, over its cap of ${cap}; ask for less`, {
        retryable: false,
        details: { tool: tool.name, chars: content.length, limit: cap },
      }),
    );
  }
  const marker = `\n[truncated: the first ${cap} of ${content.length} characters are shown]`;
  const shown = Math.max(0, cap - marker.length);
  return { ok: true, content: content.slice(0, shown) + marker, truncated: { shown, total: content.length }, ms: performance.now() - started };
};

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** The tool's promise, or its timeout (which aborts its signal), or its abort, whichever comes first. */
function withDeadline(pending: PromiseLike<unknown>, tool: Tool<never, unknown>, controller: AbortController): Promise<unknown> {
  const timeoutMs = tool.timeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = Errors.timeout(`tool "${tool.name}"`, timeoutMs, { tool: tool.name, deadline: 'tool' });
      reject(error); // settles first: the abort below then finds the promise settled
      controller.abort(error);
    }, timeoutMs);
    timer.unref?.();
    const onAbort = () => {
      clearTimeout(timer);
      reject(Errors.aborted(`tool "${tool.name}"`, controller.signal.reason));
    };
    controller.signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (v) => {
        clearTimeout(timer);
        controller.signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        controller.signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** A string as it is; anything else as JSON. A value JSON cannot carry is the tool author's mistake. */
function serialise(value: unknown, tool: string, invocation: ToolInvocation): string {
  if (typeof value === 'string') return value;
  if (value === undefined) return 'null';
  let text: string | undefined;
  let cause: unknown;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    cause = e;
  }
  if (typeof text === 'string') return text;
  const why = cause instanceof Error ? cause.message : `JSON has no form for a ${typeof value}`;
  throw new FlotillaError('userCode', `tool "${tool}" of agent "${invocation.agent}" in step "${invocation.key}" returned a result that cannot be serialised: ${why}`, {
    cause,
    details: { tool, agent: invocation.agent, step: invocation.key, function: `tool "${tool}"` },
  });
}
