import type { ChatMessage } from '../model/chat-message';
import type { ChatRequest } from '../model/chat-request';
import type { ContextWindowAware } from '../model/context-window';
import { estimatePromptTokens } from '../model/token-estimate';
import type { ContextPolicy } from '../agents/agent-options';
import type { ContextFit } from '../events/run-event';
import { FlotillaError } from '../errors/flotilla-error';

export const DEFAULT_REPLY_RESERVE = 512;
/**
 * The longest a context-window lookup runs. Callers wait at most their own first-token
 * deadline (the engine arms it before the lookup); this bounds the shared lookup itself.
 */
export const CONTEXT_LOOKUP_TIMEOUT_MS = 10_000;

export interface FittedRequest {
  request: ChatRequest;
  fit?: ContextFit;
}

/**
 * Checks prompts against the model's context window and applies the agent's policy:
 * fail with `contextOverflow`, drop the oldest non-system messages, or move to a fallback
 * model. Windows are asked once per model and runner options, so after the first call
 * the check is synchronous. A lookup in flight is shared by the calls that need it and
 * has its own deadline; one that failed or timed out is not remembered (the window is
 * unknown for those calls, and the next call asks again).
 */
export class ContextGuard {
  private readonly windows = new Map<string, number | undefined>();
  private readonly lookups = new Map<string, Promise<number | undefined>>();

  private readonly lookupTimeoutMs: number;

  constructor(
    private readonly client: ContextWindowAware,
    options: { lookupTimeoutMs?: number } = {},
  ) {
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? CONTEXT_LOOKUP_TIMEOUT_MS;
  }

  fit(request: ChatRequest, policy: ContextPolicy | undefined, agent: string): FittedRequest | Promise<FittedRequest> {
    const window = this.window(request);
    const count = this.client.countPromptTokens ? this.client.countPromptTokens(request) : estimatePromptTokens(request);
    if (window instanceof Promise || count instanceof Promise) {
      return Promise.all([window, count]).then(([w, c]) => this.decide(request, w, c, policy, agent));
    }
    return this.decide(request, window, count, policy, agent);
  }

  /** The server said the prompt did not fit: the request to try next, if the policy has one. */
  afterOverflow(request: ChatRequest, policy: ContextPolicy | undefined, fit: ContextFit | undefined): FittedRequest | undefined {
    if (policy?.onOverflow === 'fallback' && policy.fallbackModel && request.model !== policy.fallbackModel) {
      return { request: { ...request, model: policy.fallbackModel }, fit: { window: fit?.window ?? 0, promptTokens: fit?.promptTokens ?? 0, fallbackFrom: request.model } };
    }
    if (policy?.onOverflow === 'dropOldest') {
      const droppable = droppableIndexes(request.messages);
      if (droppable.length === 0) return undefined;
      const drop = new Set(droppable.slice(0, Math.ceil(droppable.length / 2)));
      const messages = request.messages.filter((_, i) => !drop.has(i));
      return { request: { ...request, messages }, fit: { window: fit?.window ?? 0, promptTokens: estimatePromptTokens({ messages }), dropped: (fit?.dropped ?? 0) + drop.size } };
    }
    return undefined;
  }

  private window(request: ChatRequest): number | undefined | Promise<number | undefined> {
    const numCtx = request.options?.numCtx;
    const key = numCtx === undefined ? request.model : `${request.model}\u0000${numCtx}`;
    if (this.windows.has(key)) return this.windows.get(key);
    let pending = this.lookups.get(key);
    if (!pending) {
      pending = this.client.contextWindow(request.model, request.options, AbortSignal.timeout(this.lookupTimeoutMs)).then(
        (w) => {
          this.lookups.delete(key);
          this.windows.set(key, w);
          return w;
        },
        () => {
          this.lookups.delete(key); // unknown for now: ask again next time
          return undefined;
        },
      );
      this.lookups.set(key, pending);
    }
    return pending;
  }

  private decide(request: ChatRequest, window: number | undefined, promptTokens: number, policy: ContextPolicy | undefined, agent: string): FittedRequest | Promise<FittedRequest> {
    if (window === undefined) return { request };
    const reserve = policy?.reserveTokens ?? request.options?.maxTokens ?? DEFAULT_REPLY_RESERVE;
    if (promptTokens + reserve <= window) return { request, fit: { window, promptTokens } };
    const strategy = policy?.onOverflow ?? 'fail';
    if (strategy === 'dropOldest') {
      const scale = promptTokens / Math.max(1, estimatePromptTokens(request)); // exact count vs estimate
      const droppable = droppableIndexes(request.messages);
      const dropped = new Set<number>();
      for (const i of droppable) {
        dropped.add(i);
        const messages = request.messages.filter((_, j) => !dropped.has(j));
        const tokens = Math.ceil(estimatePromptTokens({ messages, tools: request.tools }) * scale);
        if (tokens + reserve <= window) return { request: { ...request, messages }, fit: { window, promptTokens: tokens, dropped: dropped.size } };
      }
    } else if (strategy === 'fallback' && policy?.fallbackModel && policy.fallbackModel !== request.model) {
      const moved = { ...request, model: policy.fallbackModel };
      const next = this.fit(moved, { ...policy, onOverflow: 'fail' }, agent);
      const mark = (f: FittedRequest): FittedRequest => ({ request: f.request, fit: f.fit && { ...f.fit, fallbackFrom: request.model } });
      return next instanceof Promise ? next.then(mark) : mark(next);
    }
    throw new FlotillaError(
      'contextOverflow',
      `agent "${agent}": prompt of ~${promptTokens} tokens plus ${reserve} for the reply does not fit the ${window}-token window of ${request.model}` +
        (strategy === 'fail' ? ' (set context.onOverflow to dropOldest or fallback, or raise numCtx)' : ` even after ${strategy}`),
      { details: { agent, model: request.model, window, promptTokens, reserve, strategy } },
    );
  }
}

/** Oldest first: every message except system messages and the last one. */
function droppableIndexes(messages: readonly ChatMessage[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < messages.length - 1; i++) if (messages[i]!.role !== 'system') out.push(i);
  return out;
}
