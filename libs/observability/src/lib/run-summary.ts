import type { CallStats, CallTimings, ErrorInfo, RunEvent, RunStatus, TokenUsage } from '@flotilla/core';

/** One try of a model call: the first starts with the step, each retry after its backoff. */
export interface CallAttempt {
  startAt: number;
  endAt: number;
  error?: ErrorInfo;
}

/** An agent call step as the run events tell it (times in ms since the run started). */
export interface CallRecord {
  runId: string;
  /** The step's key: stable across runs, unique within its run (`workers/step[2]`). */
  key: string;
  parentKey?: string;
  /** The step's display name: its id, else its agent. */
  name: string;
  agent: string;
  /** The model that answered (the requested one when the call never finished). */
  model: string;
  requestedModel?: string;
  endpoint?: string;
  variant?: string;
  index?: number;
  startAt: number;
  endAt?: number;
  status: 'succeeded' | 'failed' | 'unfinished';
  error?: ErrorInfo;
  attempts: CallAttempt[];
  retries: number;
  usage?: TokenUsage;
  timings?: CallTimings;
  tokensPerSecond?: number;
  /** The tool calls of the step's tool loop, in the order they ended. */
  tools?: ToolRecord[];
}

/** One tool call of an agent step. */
export interface ToolRecord {
  round: number;
  index: number;
  tool: string;
  arguments?: Record<string, unknown>;
  ok: boolean;
  /** When it ended (ms since the run started), and how long it ran. */
  at: number;
  ms: number;
  /** The start of what the model was told (the full text is in the trace). */
  preview: string;
  truncated?: boolean;
  /** The model wrote the call in its text; the engine recovered it. */
  recovered?: true;
  error?: ErrorInfo;
}

const PREVIEW_CHARS = 200;

export interface RunSummary {
  runId: string;
  chain?: string;
  /** Wall-clock start (epoch ms), when the source knows it. */
  startedAt?: number;
  status?: RunStatus;
  error?: ErrorInfo;
  durationMs?: number;
  /** Agent name -> the A/B variant this run used. */
  variants: Record<string, string>;
  calls: CallRecord[];
  usage: TokenUsage;
}

/** Generation speed: eval time where the server reported it, else the call after its first token, else the whole call. */
export function tokensPerSecond(call: Pick<CallStats, 'usage' | 'timings'>): number | undefined {
  const t = call.timings;
  const ms = t.evalMs ?? (t.totalMs !== undefined && t.firstTokenMs !== undefined ? t.totalMs - t.firstTokenMs : t.totalMs);
  const n = call.usage.completionTokens;
  return ms !== undefined && ms > 0 && n > 0 ? (n * 1000) / ms : undefined;
}

/** Derives the calls of one run from its events (pass one run's events: keys repeat across runs). */
export function summarizeRun(events: readonly RunEvent[], startedAt?: number): RunSummary {
  const first = events[0];
  const summary: RunSummary = { runId: first?.runId ?? '', startedAt, variants: {}, calls: [], usage: { promptTokens: 0, completionTokens: 0 } };
  // Keyed by step key alone: one run's events (keys are unique within a run only).
  const open = new Map<string, CallRecord>();
  for (const e of events) {
    switch (e.type) {
      case 'run.start':
        summary.chain = e.chain;
        break;
      case 'step.start':
        if (e.kind !== 'call') break;
        {
          const rec: CallRecord = {
            runId: e.runId,
            key: e.key,
            parentKey: e.parentKey,
            name: e.name,
            agent: e.agent ?? e.name,
            model: e.model ?? '',
            requestedModel: e.model,
            variant: e.variant,
            index: e.index,
            startAt: e.at,
            status: 'unfinished',
            attempts: [{ startAt: e.at, endAt: e.at }],
            retries: 0,
          };
          if (e.variant !== undefined && e.agent !== undefined) summary.variants[e.agent] = e.variant;
          open.set(e.key, rec);
          summary.calls.push(rec);
        }
        break;
      case 'retry': {
        const rec = open.get(e.key);
        if (!rec) break;
        const last = rec.attempts[rec.attempts.length - 1]!;
        last.endAt = e.at;
        last.error = e.error;
        rec.retries++;
        rec.attempts.push({ startAt: e.at + e.delayMs, endAt: e.at + e.delayMs });
        break;
      }
      case 'tool.call': {
        const rec = open.get(e.key);
        if (rec) (rec.tools ??= []).push({ round: e.round, index: e.index, tool: e.tool, arguments: e.arguments, ok: false, at: e.at, ms: 0, preview: '', ...(e.recovered ? { recovered: true as const } : {}) });
        break;
      }
      case 'tool.result': {
        const t = open.get(e.key)?.tools?.find((x) => x.round === e.round && x.index === e.index);
        if (!t) break;
        t.ok = e.ok;
        t.at = e.at;
        t.ms = e.ms;
        t.preview = e.content.length > PREVIEW_CHARS ? `${e.content.slice(0, PREVIEW_CHARS)}…` : e.content;
        if (e.truncated) t.truncated = true;
        if (e.error) t.error = e.error;
        break;
      }
      case 'step.end': {
        const rec = open.get(e.key);
        if (!rec) break;
        open.delete(e.key);
        rec.endAt = e.at;
        rec.status = 'succeeded';
        rec.attempts[rec.attempts.length - 1]!.endAt = e.at;
        if (e.call) {
          rec.model = e.call.model;
          rec.endpoint = e.call.endpoint;
          rec.usage = e.call.usage;
          rec.timings = e.call.timings;
          rec.tokensPerSecond = tokensPerSecond(e.call);
          if (e.call.variant !== undefined) rec.variant = e.call.variant;
          summary.usage.promptTokens += e.call.usage.promptTokens;
          summary.usage.completionTokens += e.call.usage.completionTokens;
        }
        break;
      }
      case 'step.error': {
        const rec = open.get(e.key);
        if (!rec) break;
        open.delete(e.key);
        rec.endAt = e.at;
        rec.status = 'failed';
        rec.error = e.error;
        const last = rec.attempts[rec.attempts.length - 1]!;
        last.endAt = Math.max(last.startAt, e.at);
        last.error = e.error;
        break;
      }
      case 'run.end':
        summary.status = e.result.status;
        summary.error = e.result.error;
        summary.durationMs = e.result.durationMs;
        Object.assign(summary.variants, e.result.variants);
        break;
    }
  }
  return summary;
}
