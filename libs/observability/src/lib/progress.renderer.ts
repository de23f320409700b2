import type { RunEvent } from '@flotilla/core';

interface Active {
  label: string;
  agent: string;
  model: string;
  tokens: number;
  startedAt: number;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Progress of any chain run on a terminal: a line per finished model call, and a live
 * block of the calls in flight, each labelled by its step key (`review/work#2/step[3]`,
 * the same key as in traces and results), or its name for a root step. Without a TTY it
 * prints only the finished lines. A `RunEventSink`: feed it with `next(event)`, or list it
 * in a `FlotillaObserver`'s `sinks`.
 */
export class ProgressRenderer {
  /** Calls in flight, per run (keys repeat across runs). */
  private readonly runs = new Map<string, Map<string, Active>>();
  private drawn = 0;
  private frame = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private t0 = Date.now();

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly live = Boolean(out.isTTY),
  ) {}

  start(): void {
    this.t0 = Date.now();
    if (this.live) this.timer = setInterval(() => this.redraw(), 100);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  next(e: RunEvent): void {
    switch (e.type) {
      case 'step.start': {
        if (e.kind !== 'call') return;
        let calls = this.runs.get(e.runId);
        if (!calls) this.runs.set(e.runId, (calls = new Map()));
        calls.set(e.key, { label: e.key || e.name, agent: e.agent ?? '?', model: e.model ?? '?', tokens: 0, startedAt: Date.now() });
        return;
      }
      case 'token': {
        const call = this.runs.get(e.runId)?.get(e.key);
        if (call) call.tokens++;
        return;
      }
      case 'retry':
        this.print(`  ↻ ${this.runs.get(e.runId)?.get(e.key)?.label ?? e.key}: retry ${e.attempt} after ${e.error.kind}: ${firstLine(e.error.message)}`);
        return;
      case 'tool.result': {
        const label = this.runs.get(e.runId)?.get(e.key)?.label ?? e.key;
        const what = e.ok ? `${e.truncated ? 'truncated' : 'ok'}` : `${e.error?.kind ?? 'error'}: ${firstLine(e.error?.message ?? e.content)}`;
        this.print(`  ${e.ok ? '⚙' : '⚠'} ${label}: tool ${e.tool} (round ${e.round + 1}) ${what}  ${(e.ms / 1000).toFixed(1)}s`);
        return;
      }
      case 'step.end': {
        const call = this.take(e.runId, e.key);
        if (call && e.call) this.print(`  ${e.call.journaled ? '↺' : '✓'} ${this.row(call, `${e.call.usage.completionTokens} tok${e.call.journaled ? ' (journal)' : ''}`)}`);
        return;
      }
      case 'step.error': {
        const call = this.take(e.runId, e.key);
        if (call) this.print(`  ✗ ${this.row(call, `${e.error.kind}: ${firstLine(e.error.message)}`)}`);
        return;
      }
      case 'run.end':
        this.runs.delete(e.runId);
        return;
      default:
        return;
    }
  }

  /** The run will not end: its calls leave the live block. */
  abandon(runId: string): void {
    this.runs.delete(runId);
  }

  print(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    this.redraw();
  }

  private take(runId: string, key: string): Active | undefined {
    const calls = this.runs.get(runId);
    const call = calls?.get(key);
    if (!call) return undefined;
    calls!.delete(key);
    return call;
  }

  private row(c: Active, what: string): string {
    return `${c.label.padEnd(36)} ${c.agent.padEnd(12)} ${c.model.padEnd(24)} ${what}  ${((Date.now() - c.startedAt) / 1000).toFixed(1)}s`;
  }

  private clear(): void {
    if (!this.live || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private redraw(): void {
    if (!this.live || this.timer === undefined) return;
    this.clear();
    const spin = FRAMES[this.frame++ % FRAMES.length];
    const lines: string[] = [];
    for (const calls of this.runs.values()) for (const c of calls.values()) lines.push(`  ${spin} ${this.row(c, `${c.tokens} tok`)}`);
    lines.push(`  ${((Date.now() - this.t0) / 1000).toFixed(1)}s, ${lines.length} call(s) in flight`);
    this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}
