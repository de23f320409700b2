import type { RunSummary } from './run-summary';
import { variantReport, type VariantReport } from './variant-report';
import { esc } from './html-escape';
import { fmtMs, renderTimeline } from './html-timeline';
import { renderVariantCharts } from './html-charts';

/** Timelines drawn at most (the newest runs); the variant comparison always uses every run. @default 50 */
export const DEFAULT_MAX_TIMELINES = 50;

export interface HtmlReportOptions {
  title?: string;
  /** @default 50 */
  maxTimelines?: number;
}

/** The report's stylesheet (timelines, tables, charts), for pages that draw its timelines (the gateway's dashboard). */
export const REPORT_CSS = `
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2330;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 6px}h3{font-size:14px;margin:16px 0 6px}
.muted,.method{color:#5b6475}.method{font-size:12px;max-width:900px}
.run{border-top:1px solid #dde2ea;padding-top:8px}
.run-meta span{margin-right:14px}.status-succeeded{color:#1f7a3d}.status-failed{color:#b3261e}.status-cancelled{color:#8a6100}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
.lane-bg{fill:#f6f8fb}.lane:nth-child(odd) .lane-bg{fill:#eef1f6}.lane-label{font-size:12px;fill:#333}
.tick{stroke:#d5dae3}.tick-label{font-size:10px;fill:#666}
.seg-retry{fill:#e9b3ae}.seg-failed{fill:#f3d3cf}.seg-queue{fill:#a9b1bf}.seg-load{fill:#f0a030}.seg-wait{fill:#9cc3e6}.seg-generate{fill:#2f6fb5}
.fail-outline{fill:none;stroke:#b3261e;stroke-width:2}
.bar-label{font:10px ui-monospace,monospace;fill:#111;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round;pointer-events:none}
.bar{cursor:pointer}.bar:hover .seg,.bar.selected .seg{opacity:.75}.bar:focus{outline:none}.bar.selected .seg{stroke:#111;stroke-width:1}
.details{background:#f6f8fb;border:1px solid #dde2ea;padding:8px;font:12px ui-monospace,monospace;white-space:pre-wrap;min-height:1em}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #dde2ea;padding:3px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart-title{font-size:12px;font-weight:600}.chart-label,.chart-value{font-size:11px;fill:#333}
.chart-bar.series-0{fill:#2f6fb5}.chart-bar.series-1{fill:#7aa7db}
`;

// Clicking a bar shows its call in the run's details box.
const JS = `
document.querySelectorAll('.run').forEach(function (run) {
  var box = run.querySelector('.details');
  run.querySelectorAll('.bar').forEach(function (bar) {
    var show = function () {
      run.querySelectorAll('.bar.selected').forEach(function (b) { b.classList.remove('selected'); });
      bar.classList.add('selected');
      box.textContent = JSON.stringify(JSON.parse(bar.getAttribute('data-info')), null, 2);
    };
    bar.addEventListener('click', show);
    bar.addEventListener('keydown', function (e) { if (e.key === 'Enter') show(); });
  });
});
`;

const LEGEND =
  '<div class="legend"><span><i style="background:#a9b1bf"></i>queue wait</span><span><i style="background:#f0a030"></i>cold load</span>' +
  '<span><i style="background:#9cc3e6"></i>to first token</span><span><i style="background:#2f6fb5"></i>generation</span>' +
  '<span><i style="background:#e9b3ae"></i>earlier attempts and backoff</span><span><i style="background:#f3d3cf;border:2px solid #b3261e;width:8px;height:8px"></i>failed call</span></div>';

/** Every tool call of the run, by step key: what was called with what, and what the model was told. */
function toolTable(run: RunSummary): string {
  const rows = run.calls.flatMap((c) =>
    (c.tools ?? []).map(
      (t) =>
        `<tr class="tool-call" data-step-key="${esc(c.key)}" data-tool="${esc(t.tool)}" data-ok="${t.ok}"${t.recovered ? ' data-recovered="true"' : ''}><td>${esc(c.key || c.name)}</td><td>${t.round + 1}</td><td>${esc(t.tool)}${t.recovered ? ' (recovered from text)' : ''}</td>` +
        `<td class="tool-args">${esc(JSON.stringify(t.arguments ?? {}))}</td><td class="${t.ok ? 'status-succeeded' : 'status-failed'}">${t.ok ? (t.truncated ? 'ok, truncated' : 'ok') : esc(t.error?.kind ?? 'error')}</td>` +
        `<td>${esc(fmtMs(t.ms))}</td><td class="tool-result">${esc(t.preview)}</td></tr>`,
    ),
  );
  if (rows.length === 0) return '';
  return `<h3>Tool calls</h3><table class="tools"><tr><th>step</th><th>round</th><th>tool</th><th>arguments</th><th>result</th><th>time</th><th>told the model</th></tr>${rows.join('')}</table>`;
}

function runSection(run: RunSummary): string {
  const variants = Object.entries(run.variants).map(([a, v]) => `${a}: ${v}`).join(', ');
  const status = run.status ?? 'unfinished';
  return (
    `<section class="run" data-run-id="${esc(run.runId)}"><h2>${esc(run.chain ?? 'run')} <span class="muted">${esc(run.runId)}</span></h2>` +
    `<div class="run-meta"><span class="status-${esc(status)}">${esc(status)}</span>` +
    (run.startedAt !== undefined ? `<span>started ${esc(new Date(run.startedAt).toISOString())}</span>` : '') +
    (run.durationMs !== undefined ? `<span>${esc(fmtMs(run.durationMs))}</span>` : '') +
    `<span>${run.calls.length} agent calls</span><span>${run.usage.promptTokens + run.usage.completionTokens} tokens</span>` +
    (variants ? `<span>variants: ${esc(variants)}</span>` : '') +
    (run.error ? `<span class="status-failed">${esc(run.error.kind)}: ${esc(run.error.message)}</span>` : '') +
    `</div>${renderTimeline(run)}<div class="details" aria-live="polite">click a bar for its call</div>${toolTable(run)}</section>`
  );
}

/**
 * A self-contained HTML page (inline CSS, JS and SVG; nothing fetched): each run's
 * timeline, one lane per endpoint and model with a bar per agent call (labelled by its step
 * key) showing queue wait, cold load, time to first token and generation, and the A/B
 * variant comparison as charts.
 */
export function renderHtmlReport(runs: readonly RunSummary[], variants: VariantReport = variantReport(runs), options: HtmlReportOptions = {}): string {
  const title = options.title ?? (runs.length === 1 ? `Flotilla run ${runs[0]!.runId}` : `Flotilla: ${runs.length} runs`);
  const max = options.maxTimelines ?? DEFAULT_MAX_TIMELINES;
  const shown = [...runs].sort((a, b) => (b.startedAt ?? 0) - (a.startedAt ?? 0)).slice(0, max);
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${esc(title)}</title><style>${REPORT_CSS}</style></head><body>` +
    `<h1>${esc(title)}</h1><p class="muted">${runs.length} run${runs.length === 1 ? '' : 's'}` +
    (shown.length < runs.length ? `; timelines of the newest ${shown.length}` : '') +
    `</p><h2>A/B variants</h2>${renderVariantCharts(variants)}<h2>Timelines</h2>${LEGEND}${shown.map(runSection).join('')}` +
    `<script>${JS}</script></body></html>`
  );
}
