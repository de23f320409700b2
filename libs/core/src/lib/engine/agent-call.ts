import { Observable, defer } from 'rxjs';
import type { ChatMessage } from '../model/chat-message';
import type { ChatRequest } from '../model/chat-request';
import type { FinalEvent } from '../model/chat-event';
import type { ModelClient } from '../model/model-client.interface';
import type { CallStats } from '../events/run-event';
import { FlotillaError } from '../errors/flotilla-error';
import type { ResolvedAgent } from './agent-registry';
import type { RunContext } from './run-context';
import { withDeadlines } from './operators/with-deadlines.operator';
import { withRetry } from './operators/with-retry.operator';
import { toErrorInfo } from './error-info';

export interface CallOutcome {
  output: unknown;
  call: CallStats;
}

export interface RetrySettings {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * One agent step: prompt, model call under the run-wide and per-agent limits with three
 * deadlines, structured-output check, and retries drawn from the agent's one budget
 * (transient errors with backoff, invalid output at once with the error fed back).
 */
export function callAgent(
  agent: ResolvedAgent,
  input: unknown,
  ctx: RunContext,
  client: ModelClient,
  spanId: string,
  retry: RetrySettings,
): Observable<CallOutcome> {
  let attempt = 0;
  let feedback: ChatMessage[] | undefined;
  const schema = agent.descriptor.options.output;
  const callOptions = { priority: agent.descriptor.priority, agent: agent.name, conversation: ctx.runId };

  const once = defer(() => {
    checkBudgets(ctx, agent.name);
    ctx.modelCalls++;
    const messages = agent.instance.prompt(input, { model: agent.model, attempt });
    const request: ChatRequest = {
      model: agent.model,
      messages: feedback ? messages.concat(feedback) : messages,
      format: schema?.jsonSchema,
      options: agent.options,
    };
    let queueMs = 0;
    const onStart = (ms: number) => {
      queueMs += ms;
    };
    let model$ = client.chat(request, callOptions).pipe(withDeadlines(agent.deadlines));
    if (agent.limiter) model$ = agent.limiter.run(model$, agent.descriptor.priority, onStart);
    model$ = ctx.limiter.run(model$, agent.descriptor.priority, onStart);

    return new Observable<CallOutcome>((subscriber) =>
      model$.subscribe({
        next(event) {
          if (event.type === 'delta') ctx.emit({ type: 'token', runId: ctx.runId, id: spanId, at: ctx.now(), text: event.text });
          else if (event.type === 'final') {
            ctx.usage.promptTokens += event.usage.promptTokens;
            ctx.usage.completionTokens += event.usage.completionTokens;
            let output: unknown;
            try {
              output = interpret(agent, event, input);
            } catch (e) {
              subscriber.error(e);
              return;
            }
            if (queueMs > 0) event.timings.queueMs = (event.timings.queueMs ?? 0) + queueMs;
            subscriber.next({
              output,
              call: {
                agent: agent.name,
                model: event.model,
                endpoint: event.endpoint,
                attempts: attempt + 1,
                usage: event.usage,
                timings: event.timings,
              },
            });
          }
        },
        error: (e) => subscriber.error(FlotillaError.from(e)),
        complete: () => subscriber.complete(),
      }),
    );
  });

  if (agent.retries === 0) return once;
  return once.pipe(
    withRetry({
      retries: agent.retries,
      baseDelayMs: retry.baseDelayMs,
      maxDelayMs: retry.maxDelayMs,
      immediate: (e) => e.kind === 'badOutput',
      onRetry(error, n, delayMs) {
        attempt = n;
        if (error.kind === 'badOutput') feedback = feedbackFor(error);
        ctx.emit({ type: 'retry', runId: ctx.runId, id: spanId, at: ctx.now(), attempt: n, delayMs, error: toErrorInfo(error) });
      },
    }),
  );
}

function interpret(agent: ResolvedAgent, event: FinalEvent, input: unknown): unknown {
  const schema = agent.descriptor.options.output;
  const raw = event.message.content;
  let parsed: unknown = raw;
  if (schema) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (cause) {
      throw badOutput(agent, raw, `reply is not JSON (${(cause as Error).message})`);
    }
    const checked = schema.parse(json);
    if (!checked.ok) throw badOutput(agent, raw, checked.error);
    parsed = checked.value;
  }
  return agent.instance.result ? agent.instance.result(parsed, input) : parsed;
}

function badOutput(agent: ResolvedAgent, raw: string, problem: string): FlotillaError {
  return new FlotillaError('badOutput', `agent "${agent.name}" (model ${agent.model}): ${problem}`, {
    details: { agent: agent.name, model: agent.model, raw, problem },
  });
}

function feedbackFor(error: FlotillaError): ChatMessage[] {
  return [
    { role: 'assistant', content: String(error.details['raw'] ?? '') },
    {
      role: 'user',
      content: `Your reply did not match the required JSON Schema: ${String(error.details['problem'])}. Reply again with JSON only, conforming to the schema.`,
    },
  ];
}

function checkBudgets(ctx: RunContext, agent: string): void {
  const { maxModelCalls, maxTokens } = ctx.budgets;
  if (maxModelCalls !== undefined && ctx.modelCalls >= maxModelCalls) {
    throw new FlotillaError('budgetExceeded', `run budget of ${maxModelCalls} model calls is spent (next call: agent "${agent}")`, {
      details: { budget: 'maxModelCalls', limit: maxModelCalls, agent },
    });
  }
  const used = ctx.usage.promptTokens + ctx.usage.completionTokens;
  if (maxTokens !== undefined && used >= maxTokens) {
    throw new FlotillaError('budgetExceeded', `run budget of ${maxTokens} tokens is spent (${used} used; next call: agent "${agent}")`, {
      details: { budget: 'maxTokens', limit: maxTokens, used, agent },
    });
  }
}
