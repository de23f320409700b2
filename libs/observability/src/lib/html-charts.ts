import type { AgentVariants, VariantReport, VariantStats } from './variant-report';
import { esc, px } from './html-escape';

interface Metric {
  name: string;
  unit: string;
  bars: { label: string; value: number | undefined }[];
}

const W = 420;
const ROW = 22;
const LABEL_W = 120;

/** A horizontal bar chart, one bar per variant (and per series, e.g. p50 and p95). */
function barChart(agent: string, m: Metric): string {
  const max = Math.max(...m.bars.map((b) => b.value ?? 0), 1e-9);
  const h = m.bars.length * ROW + 28;
  const out = [`<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${h}" viewBox="0 0 ${W} ${h}" data-agent="${esc(agent)}" data-metric="${esc(m.name)}" role="img" aria-label="${esc(`${agent}: ${m.name}`)}">`];
  out.push(`<text class="chart-title" x="0" y="14">${esc(m.name)}${m.unit ? ` (${esc(m.unit)})` : ''}</text>`);
  m.bars.forEach((b, i) => {
    const y = 22 + i * ROW;
    const w = b.value === undefined ? 0 : ((W - LABEL_W - 70) * b.value) / max;
    out.push(
      `<text class="chart-label" x="0" y="${y + 14}">${esc(b.label)}</text>`,
      `<rect class="chart-bar series-${i % 2}" data-label="${esc(b.label)}" data-value="${b.value ?? ''}" x="${LABEL_W}" y="${y + 3}" width="${px(Math.max(b.value === undefined ? 0 : 1, w))}" height="${ROW - 6}"/>`,
      `<text class="chart-value" x="${px(LABEL_W + w + 6)}" y="${y + 14}">${b.value === undefined ? 'n/a' : esc(round(b.value))}</text>`,
    );
  });
  out.push('</svg>');
  return out.join('');
}

function round(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

function metrics(vs: VariantStats[]): Metric[] {
  return [
    { name: 'latency p50 / p95', unit: 'ms', bars: vs.flatMap((v) => [{ label: `${v.variant} p50`, value: v.latencyP50Ms }, { label: `${v.variant} p95`, value: v.latencyP95Ms }]) },
    { name: 'success rate', unit: '%', bars: vs.map((v) => ({ label: v.variant, value: v.successRate * 100 })) },
    { name: 'tokens per second', unit: 'median', bars: vs.map((v) => ({ label: v.variant, value: v.tokensPerSecond })) },
    { name: 'retries per call', unit: '', bars: vs.map((v) => ({ label: v.variant, value: v.retriesPerCall })) },
  ];
}

function agentSection(a: AgentVariants): string {
  const rows = a.variants
    .map((v) => `<tr><td>${esc(v.variant)}</td><td>${v.runs}</td><td>${v.calls}</td><td>${(v.successRate * 100).toFixed(1)}%</td><td>${v.latencyP50Ms?.toFixed(0) ?? '-'}</td><td>${v.latencyP95Ms?.toFixed(0) ?? '-'}</td><td>${v.tokensPerSecond?.toFixed(1) ?? '-'}</td><td>${v.retriesPerCall.toFixed(2)}</td></tr>`)
    .join('');
  const verdicts = a.comparisons
    .map((c) => `<li><b>${esc(c.a)} vs ${esc(c.b)}</b>: latency: ${esc(c.latency.verdict)}; success: ${esc(c.success.verdict)}</li>`)
    .join('');
  return (
    `<section class="variants" data-agent="${esc(a.agent)}"><h3>agent ${esc(a.agent)}</h3>` +
    `<table><thead><tr><th>variant</th><th>runs</th><th>calls</th><th>success</th><th>p50 ms</th><th>p95 ms</th><th>tokens/s</th><th>retries/call</th></tr></thead><tbody>${rows}</tbody></table>` +
    `<div class="charts">${metrics(a.variants).map((m) => barChart(a.agent, m)).join('')}</div>` +
    `<ul class="verdicts">${verdicts || '<li>only one variant seen: nothing to compare</li>'}</ul></section>`
  );
}

/** The A/B comparison as tables, charts and verdicts. */
export function renderVariantCharts(r: VariantReport): string {
  if (r.agents.length === 0) return '<p class="muted">No agent declared A/B variants in these runs.</p>';
  return r.agents.map(agentSection).join('') + `<p class="method">${esc(r.method)}</p>`;
}
