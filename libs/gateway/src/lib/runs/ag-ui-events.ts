import { type BaseEvent, EventType, type Interrupt, PROTOCOL_VERSION, type RunAgentInput } from '@ag-ui/core';
import type { RunEvent, RunResult } from '@flotilla/core';

/** AG-UI's name for a step: its key, `(root)` for the chain's root step. */
export function stepName(key: string): string {
  return key === '' ? '(root)' : key;
}

/**
 * A run's events as AG-UI events, one run per instance (it tracks the messages and steps it
 * opened): `run.start` RUN_STARTED; `step.start`/`step.end` STEP_STARTED/STEP_FINISHED named by
 * step key; tokens TEXT_MESSAGE_START/CONTENT/END, one message per step attempt; `tool.call`
 * TOOL_CALL_START/ARGS/END and `tool.result` TOOL_CALL_RESULT; retries and step errors as
 * CUSTOM events (`flotilla.retry`, `flotilla.step.error`); `run.end` RUN_FINISHED with the
 * output (outcome `success`, `interrupt` for a run waiting for a person, `cancelled`) or
 * RUN_ERROR with the error kind as its `code`.
 */
export class AgUiTranslator {
  private readonly messages = new Map<string, string>();
  private readonly steps = new Set<string>();
  private seq = 0;
  /** Epoch ms at which the run's clock (`RunEvent.at`) reads 0: AG-UI timestamps are integer epoch ms. */
  private t0: number | undefined;

  constructor(
    private readonly threadId: string,
    private readonly input?: RunAgentInput,
  ) {}

  translate(e: RunEvent): BaseEvent[] {
    if (e.type === 'run.start') this.t0 = e.startedAt - e.at;
    this.t0 ??= Date.now() - e.at;
    const timestamp = Math.round(this.t0 + e.at);
    switch (e.type) {
      case 'run.start':
        return [{ type: EventType.RUN_STARTED, timestamp, threadId: this.threadId, runId: e.runId, protocolVersion: PROTOCOL_VERSION, ...(this.input ? { input: this.input } : {}) } as BaseEvent];
      case 'step.start':
        this.steps.add(e.key);
        return [{ type: EventType.STEP_STARTED, timestamp, stepName: stepName(e.key), metadata: { kind: e.kind, name: e.name, ...(e.agent ? { agent: e.agent } : {}), ...(e.model ? { model: e.model } : {}) } } as BaseEvent];
      case 'token': {
        if (e.text === '') return [];
        const out: BaseEvent[] = [];
        let messageId = this.messages.get(e.key);
        if (messageId === undefined) {
          messageId = `${e.runId}/${stepName(e.key)}/${this.seq++}`;
          this.messages.set(e.key, messageId);
          out.push({ type: EventType.TEXT_MESSAGE_START, timestamp, messageId, role: 'assistant' } as BaseEvent);
        }
        out.push({ type: EventType.TEXT_MESSAGE_CONTENT, timestamp, messageId, delta: e.text } as BaseEvent);
        return out;
      }
      case 'retry':
        return [...this.endMessage(e.key, timestamp), { type: EventType.CUSTOM, timestamp, name: 'flotilla.retry', value: { step: stepName(e.key), attempt: e.attempt, delayMs: e.delayMs, error: e.error } } as BaseEvent];
      case 'tool.call': {
        const toolCallId = e.callId ?? `${e.runId}/${stepName(e.key)}/tool/${e.round}/${e.index}`;
        const parentMessageId = this.messages.get(e.key);
        return [
          { type: EventType.TOOL_CALL_START, timestamp, toolCallId, toolCallName: e.tool, ...(parentMessageId ? { parentMessageId } : {}) } as BaseEvent,
          { type: EventType.TOOL_CALL_ARGS, timestamp, toolCallId, delta: JSON.stringify(e.arguments) } as BaseEvent,
          { type: EventType.TOOL_CALL_END, timestamp, toolCallId } as BaseEvent,
        ];
      }
      case 'tool.result': {
        const toolCallId = e.callId ?? `${e.runId}/${stepName(e.key)}/tool/${e.round}/${e.index}`;
        return [{ type: EventType.TOOL_CALL_RESULT, timestamp, messageId: `${toolCallId}/result`, toolCallId, content: e.content, role: 'tool' } as BaseEvent];
      }
      case 'tool.delta':
      case 'run.waiting':
        // Arguments arrive whole with tool.call; the question arrives with run.end's interrupt.
        return [];
      case 'step.end':
        this.steps.delete(e.key);
        return [...this.endMessage(e.key, timestamp), { type: EventType.STEP_FINISHED, timestamp, stepName: stepName(e.key) } as BaseEvent];
      case 'step.error':
        this.steps.delete(e.key);
        return [
          ...this.endMessage(e.key, timestamp),
          { type: EventType.CUSTOM, timestamp, name: 'flotilla.step.error', value: { step: stepName(e.key), error: e.error } } as BaseEvent,
          { type: EventType.STEP_FINISHED, timestamp, stepName: stepName(e.key) } as BaseEvent,
        ];
      case 'run.end':
        return this.end(e.result, timestamp);
    }
  }

  private endMessage(key: string, timestamp: number): BaseEvent[] {
    const messageId = this.messages.get(key);
    if (messageId === undefined) return [];
    this.messages.delete(key);
    return [{ type: EventType.TEXT_MESSAGE_END, timestamp, messageId } as BaseEvent];
  }

  private end(result: RunResult, timestamp: number): BaseEvent[] {
    const out: BaseEvent[] = [];
    for (const key of [...this.messages.keys()]) out.push(...this.endMessage(key, timestamp));
    if (result.status === 'failed') {
      out.push({ type: EventType.RUN_ERROR, timestamp, message: result.error?.message ?? 'the run failed', code: result.error?.kind ?? 'unavailable' } as BaseEvent);
      return out;
    }
    // Steps a cancelled or waiting run left open are closed: the run is finished.
    for (const key of this.steps) out.push({ type: EventType.STEP_FINISHED, timestamp, stepName: stepName(key) } as BaseEvent);
    this.steps.clear();
    const usage = [{ inputTokens: result.usage.promptTokens, outputTokens: result.usage.completionTokens, totalTokens: result.usage.promptTokens + result.usage.completionTokens }];
    const base = { type: EventType.RUN_FINISHED, timestamp, threadId: this.threadId, runId: result.runId, usage };
    if (result.status === 'succeeded') out.push({ ...base, result: result.output, outcome: { type: 'success' } } as BaseEvent);
    else if (result.status === 'cancelled') out.push({ ...base, outcome: { type: 'cancelled' } } as BaseEvent);
    else {
      const q = result.waiting;
      const interrupts: Interrupt[] = q
        ? [{ id: q.stepKey, reason: 'human', message: q.question, ...(q.schema ? { responseSchema: q.schema as Record<string, unknown> } : {}), ...(q.expiresAt === undefined ? {} : { expiresAt: new Date(q.expiresAt).toISOString() }), metadata: { value: q.value } }]
        : [];
      out.push({ ...base, result: { waiting: q }, outcome: { type: 'interrupt', interrupts } } as BaseEvent);
    }
    return out;
  }
}
