import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { RunEvent } from '@flotilla/core';
import { redact, redactText } from './redact';
import { tokensPerSecond } from './run-summary';
import { OpenCalls } from './open-calls';

export interface FlotillaLoggerOptions extends Omit<LoggerOptions, 'formatters' | 'hooks'> {
  /** Where lines go. @default stdout (pino's default) */
  destination?: DestinationStream;
}

/**
 * A pino logger that never writes a secret: every logged object is masked by key name
 * (`apiKey`, `authorization`, `OPENAI_API_KEY`...) and by pattern (`sk-...`, `Bearer ...`),
 * and so are messages, child bindings and serialised errors (their stacks included).
 */
export function createLogger(options: FlotillaLoggerOptions = {}): Logger {
  const { destination, serializers, ...rest } = options;
  const err = serializers?.['err'] ?? pino.stdSerializers.err;
  const opts: LoggerOptions = {
    name: 'flotilla',
    ...rest,
    serializers: {
      ...serializers,
      err: (e: unknown) => redact((err as (x: unknown) => unknown)(e)),
    },
    formatters: {
      log: redactLogObject,
      bindings: (b) => redact(b),
    },
    hooks: {
      logMethod(args, method) {
        for (let i = 0; i < args.length; i++) if (typeof args[i] === 'string') args[i] = redactText(args[i] as string);
        return method.apply(this, args as Parameters<typeof method>);
      },
      // Last line of defence (e.g. a message pino takes from an error): secret-shaped text in the line.
      streamWrite: redactText,
    },
  };
  const logger = destination ? pino(opts, destination) : pino(opts);
  // pino formats only the root's bindings; children (which inherit this method) get theirs masked here.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, options) {
    return child.call(this, redact(bindings), options);
  } as Logger['child'];
  return logger;
}

/** Masks a log object; an `err` Error is left to the (masking) error serialiser, which needs the Error itself. */
function redactLogObject(obj: Record<string, unknown>): Record<string, unknown> {
  const e = obj['err'];
  if (!(e instanceof Error)) return redact(obj);
  const out: Record<string, unknown> = redact({ ...obj, err: undefined });
  out['err'] = e;
  return out;
}

export interface LogSinkOptions {
  /** @default createLogger() (info level, stdout) */
  logger?: Logger;
}

/**
 * Structured logs of the run event stream: runs at info (the end line carries status,
 * duration, model calls, tokens and variants), retries at warn, failures at error, and at
 * debug one line per agent call (model, endpoint, variant, timings, tokens) and per step.
 * Objects are only built for enabled levels: at info a run costs two lines, whatever its
 * number of calls (the overhead budget is per model call).
 */
export class LogSink {
  readonly logger: Logger;
  private readonly calls = new OpenCalls();

  constructor(options: LogSinkOptions = {}) {
    this.logger = options.logger ?? createLogger();
  }

  /** The run will not end (its events stopped short): forget its calls in flight. */
  abandon(runId: string): void {
    this.calls.endRun(runId);
  }

  next(e: RunEvent): void {
    const log = this.logger;
    switch (e.type) {
      case 'run.start':
        if (log.isLevelEnabled('info')) log.info({ event: e.type, runId: e.runId, chain: e.chain }, 'run started');
        return;
      case 'step.start':
        if (e.kind === 'call') this.calls.add(e);
        if (log.isLevelEnabled('trace')) {
          log.trace({ event: e.type, runId: e.runId, key: e.key, parentKey: e.parentKey, step: e.name, kind: e.kind, agent: e.agent, model: e.model, variant: e.variant, index: e.index, at: e.at }, 'step started');
        }
        return;
      case 'step.end': {
        const start = this.calls.take(e);
        const c = e.call;
        if (c && log.isLevelEnabled('debug')) {
          const t = c.timings;
          log.debug(
            {
              event: e.type,
              runId: e.runId,
              key: e.key,
              step: e.name,
              agent: c.agent,
              model: c.model,
              endpoint: c.endpoint,
              variant: c.variant,
              attempts: c.attempts,
              durationMs: start ? e.at - start.at : undefined,
              queueMs: t.queueMs,
              loadMs: t.loadMs,
              firstTokenMs: t.firstTokenMs,
              totalMs: t.totalMs,
              promptTokens: c.usage.promptTokens,
              completionTokens: c.usage.completionTokens,
              tokensPerSecond: tokensPerSecond(c),
            },
            'call finished',
          );
        } else if (!c && log.isLevelEnabled('trace')) {
          log.trace({ event: e.type, runId: e.runId, key: e.key, step: e.name, kind: e.kind, at: e.at }, 'step finished');
        }
        return;
      }
      case 'retry':
        if (log.isLevelEnabled('warn')) {
          const start = this.calls.get(e);
          log.warn({ event: e.type, runId: e.runId, key: e.key, agent: start?.agent, model: start?.model, attempt: e.attempt, delayMs: e.delayMs, error: e.error }, 'retrying call');
        }
        return;
      case 'step.error': {
        const start = this.calls.take(e);
        // A failure surfaces once per enclosing step; the call (or the innermost step) says it at error level.
        const level = start || e.kind === 'call' ? 'error' : 'trace';
        if (log.isLevelEnabled(level)) {
          log[level]({ event: e.type, runId: e.runId, key: e.key, step: e.name, kind: e.kind, agent: start?.agent, model: start?.model, variant: start?.variant, error: e.error }, 'step failed');
        }
        return;
      }
      case 'run.end': {
        this.calls.endRun(e.runId);
        const r = e.result;
        const level = r.status === 'succeeded' ? 'info' : r.status === 'cancelled' ? 'warn' : 'error';
        if (log.isLevelEnabled(level)) {
          log[level]({ event: e.type, runId: e.runId, chain: r.chain, status: r.status, durationMs: r.durationMs, modelCalls: r.modelCalls, usage: r.usage, variants: r.variants, error: r.error }, 'run ended');
        }
        return;
      }
    }
  }
}
