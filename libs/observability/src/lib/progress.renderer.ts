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
 * block of the calls in flight, labelled by their place in the step tree
 * (`reviewLoop/workers#2/worker`). Without a TTY it prints only the finished lines.
 */
export class ProgressRenderer {
  private readonly spans = new Map<string, { label: string; kind: string }>();
  private readonly active = new Map<string, Active>();
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

  onEvent(e: RunEvent): void {
    switch (e.type) {
      case 'step.start': {
        const parent = e.parentId === undefined ? undefined : this.spans.get(e.parentId);
        // Unnamed sequences add nothing to a label; fan-out branches and review rounds add their number.
        const suffix = parent?.kind === 'fanOut' && e.index !== undefined ? ` #${e.index + 1}` : parent?.kind === 'reviewLoop' && e.index ? ` r${e.index + 1}` : '';
        const name = e.kind === 'sequence' && e.step === 'sequence' ? '' : e.step;
        const label = name ? [parent?.label, `${name}${suffix}`].filter(Boolean).join('/') : `${parent?.label ?? ''}${suffix}`;
        this.spans.set(e.id, { label, kind: e.kind });
        if (e.kind === 'call') this.active.set(e.id, { label, agent: e.agent ?? '?', model: e.model ?? '?', tokens: 0, startedAt: Date.now() });
        return;
      }
      case 'token': {
        const call = this.active.get(e.id);
        if (call) call.tokens++;
        return;
      }
      case 'retry':
        this.print(`  ↻ ${this.active.get(e.id)?.label ?? e.id}: retry ${e.attempt} after ${e.error.kind}: ${firstLine(e.error.message)}`);
        return;
      case 'step.end': {
        const call = this.active.get(e.id);
        if (!call || !e.call) return;
        this.active.delete(e.id);
        this.print(`  ✓ ${this.row(call, `${e.call.usage.completionTokens} tok`)}`);
        return;
      }
      case 'error': {
        const call = this.active.get(e.id);
        if (!call) return;
        this.active.delete(e.id);
        this.print(`  ✗ ${this.row(call, `${e.error.kind}: ${firstLine(e.error.message)}`)}`);
        return;
      }
      default:
        return;
    }
  }

  print(line: string): void {
    this.clear();
    this.out.write(`${line}\n`);
    this.redraw();
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
    const lines = [...this.active.values()].map((c) => `  ${spin} ${this.row(c, `${c.tokens} tok`)}`);
    lines.push(`  ${((Date.now() - this.t0) / 1000).toFixed(1)}s, ${this.active.size} call(s) in flight`);
    this.out.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0]!;
}
