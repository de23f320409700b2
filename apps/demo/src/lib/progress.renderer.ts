import type { RunEvent } from '@flotilla/core';

interface ActiveCall {
  label: string;
  agent: string;
  model: string;
  tokens: number;
  startedAt: number;
}

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Live progress of a run. On a terminal: one line per call in flight (step, agent, model,
 * tokens so far, elapsed), redrawn in place. Elsewhere: one plain line per finished call.
 */
export class ProgressRenderer {
  private readonly active = new Map<string, ActiveCall>();
  /** Kind of every structural span, to label fan-out branches and review rounds. */
  private readonly kinds = new Map<string, string>();
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
    if (this.live) this.timer = setInterval(() => this.redraw(), 80);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.clear();
  }

  onEvent(e: RunEvent): void {
    switch (e.type) {
      case 'step.start':
        if (e.kind !== 'call') this.kinds.set(e.id, e.kind);
        else {
          const parent = e.parentId === undefined ? undefined : this.kinds.get(e.parentId);
          const label =
            parent === 'fanOut' && e.index !== undefined ? `${e.step} #${e.index + 1}` : parent === 'reviewLoop' && e.index ? `${e.step} r${e.index + 1}` : e.step;
          this.active.set(e.id, { label, agent: e.agent ?? '?', model: e.model ?? '?', tokens: 0, startedAt: Date.now() });
        }
        return;
      case 'token': {
        const call = this.active.get(e.id);
        if (call) call.tokens++;
        return;
      }
      case 'retry': {
        const call = this.active.get(e.id);
        this.print(`  ↻ ${call?.label ?? e.id} retry ${e.attempt} after ${e.error.kind}: ${e.error.message.split('\n')[0]}`);
        return;
      }
      case 'step.end': {
        const call = this.active.get(e.id);
        if (!call || !e.call) return;
        this.active.delete(e.id);
        const secs = ((Date.now() - call.startedAt) / 1000).toFixed(1);
        this.print(`  ✓ ${call.label.padEnd(12)} ${call.agent.padEnd(9)} ${e.call.model.padEnd(24)} ${String(e.call.usage.completionTokens).padStart(5)} tok  ${secs}s`);
        return;
      }
      case 'error': {
        const call = this.active.get(e.id);
        if (!call) return;
        this.active.delete(e.id);
        this.print(`  ✗ ${call.label.padEnd(12)} ${call.agent.padEnd(9)} ${call.model.padEnd(24)} ${e.error.kind}: ${e.error.message.split('\n')[0]}`);
        return;
      }
      default:
        return;
    }
  }

  /** Writes a line above the live block. */
  print(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    this.redraw();
  }

  private clear(): void {
    if (!this.live || this.drawn === 0) return;
    this.out.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private redraw(): void {
    if (!this.live) return;
    this.clear();
    const spin = SPINNER[this.frame++ % SPINNER.length];
    const lines = [...this.active.values()].map((c) => {
      const secs = ((Date.now() - c.startedAt) / 1000).toFixed(1);
      return `  ${spin} ${c.label.padEnd(12)} ${c.agent.padEnd(9)} ${c.model.padEnd(24)} ${String(c.tokens).padStart(5)} tok  ${secs}s`;
    });
    lines.push(`  elapsed ${((Date.now() - this.t0) / 1000).toFixed(1)}s, ${this.active.size} call(s) in flight`);
    this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
