import type { PipelineResult } from '@flotilla/agents';

/** A fixed-width table of the run's model calls and totals. */
export function summaryTable(result: PipelineResult): string {
  const header = ['step', 'agent', 'model', 'tries', 'in tok', 'out tok', 'tok/s', 'ttft ms', 'queue ms', 'model ms'];
  const fmt = (n: number | undefined, digits = 0) => (n === undefined ? '-' : n.toFixed(digits));
  const rows = result.stats.map((s) => [
    s.step,
    s.agent,
    s.model,
    String(s.attempts),
    String(s.promptTokens),
    String(s.completionTokens),
    fmt(s.tokensPerSecond, 1),
    fmt(s.firstTokenMs),
    fmt(s.queueMs),
    fmt(s.modelMs),
  ]);
  rows.push([
    'total',
    '',
    '',
    String(result.stats.reduce((a, s) => a + s.attempts, 0)),
    String(result.usage.promptTokens),
    String(result.usage.completionTokens),
    '',
    '',
    '',
    fmt(result.stats.reduce((a, s) => a + s.modelMs, 0)),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.slice(0, -1).map(line), rule, line(rows.at(-1)!)].join('\n');
}
