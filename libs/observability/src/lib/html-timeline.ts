import type { CallRecord, RunSummary } from './run-summary';
import { esc, px } from './html-escape';

export const NO_ENDPOINT = '(no endpoint)';
const LANE_H = 26;
const LABEL_W = 230;
const PLOT_W = 900;
const AXIS_H = 22;
/** Width of a bar label's character, generously (10 px text): a label is drawn only where it fits. */
const LABEL_CHAR_W = 6.5;

/** The lane of a call: one per endpoint and model. */
export function laneKey(call: Pick<CallRecord, 'endpoint' | 'model'>): string {
  return `${call.endpoint ?? NO_ENDPOINT} · ${call.model}`;
}

interface Segment {
  kind: 'retry' | 'queue' | 'load' | 'wait' | 'generate' | 'failed';
  from: number;
  to: number;
}

/**
 * The parts of a call bar: earlier attempts and backoff, then in the answering attempt
 * the queue wait, the cold load, the wait for the first token and generation. Timings are
 * measured from the send (after the queue); anything unknown folds into generation. A
 * failed call's last attempt is one `failed` segment (it has no timings).
 */
export function callSegments(c: CallRecord): Segment[] {
  const end = c.endAt ?? c.startAt;
  const last = c.attempts[c.attempts.length - 1]!;
  const segs: Segment[] = [];
  const clamp = (t: number) => Math.min(end, Math.max(last.startAt, t));
  if (last.startAt > c.startAt) segs.push({ kind: 'retry', from: c.startAt, to: Math.min(end, last.startAt) });
  if (c.status === 'failed') {
    segs.push({ kind: 'failed', from: last.startAt, to: end });
    return segs.filter((s) => s.to > s.from);
  }
  const t = c.timings ?? {};
  const sent = clamp(last.startAt + (t.queueMs ?? 0));
  const loaded = clamp(sent + (t.loadMs ?? 0));
  const first = t.firstTokenMs !== undefined ? clamp(Math.max(loaded, sent + t.firstTokenMs)) : loaded;
  segs.push({ kind: 'queue', from: last.startAt, to: sent }, { kind: 'load', from: sent, to: loaded }, { kind: 'wait', from: loaded, to: first }, { kind: 'generate', from: first, to: end });
  return segs.filter((s) => s.to > s.from);
}

/** Rows within a lane: calls that overlap in time (concurrent slots) go on separate rows. */
function packRows(calls: CallRecord[]): Map<CallRecord, number> {
  const rowEnds: number[] = [];
  const rows = new Map<CallRecord, number>();
  for (const c of [...calls].sort((a, b) => a.startAt - b.startAt)) {
    let row = rowEnds.findIndex((end) => end <= c.startAt);
    if (row < 0) row = rowEnds.push(0) - 1;
    rowEnds[row] = c.endAt!;
    rows.set(c, row);
  }
  return rows;
}

/**
 * One run's timeline as inline SVG: a lane per endpoint and model (calls running at once
 * on it stack in rows), a bar per agent call, labelled with its step key where it fits
 * (always in its tooltip and details).
 */
export function renderTimeline(run: RunSummary): string {
  const calls = run.calls.filter((c) => c.endAt !== undefined);
  const byLane = new Map<string, CallRecord[]>();
  for (const c of calls) {
    const k = laneKey(c);
    const list = byLane.get(k);
    if (list) list.push(c);
    else byLane.set(k, [c]);
  }
  const span = Math.max(run.durationMs ?? 0, ...calls.map((c) => c.endAt!), 1);
  const x = (ms: number) => LABEL_W + (ms / span) * PLOT_W;
  const packed = [...byLane].map(([lane, list]) => {
    const rows = packRows(list);
    return { lane, list, rows, count: 1 + Math.max(0, ...rows.values()) };
  });
  const height = AXIS_H + packed.reduce((n, p) => n + p.count * LANE_H, 0) + 4;
  const width = LABEL_W + PLOT_W + 20;
  const out: string[] = [
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" data-span-ms="${px(span)}" data-plot-x="${LABEL_W}" data-plot-width="${PLOT_W}" role="img" aria-label="timeline of run ${esc(run.runId)}">`,
  ];
  for (let i = 0; i <= 5; i++) {
    const ms = (span * i) / 5;
    out.push(`<line class="tick" x1="${px(x(ms))}" x2="${px(x(ms))}" y1="${AXIS_H - 4}" y2="${height}"/><text class="tick-label" x="${px(x(ms))}" y="${AXIS_H - 8}" text-anchor="middle">${esc(fmtMs(ms))}</text>`);
  }
  let top = AXIS_H;
  for (const { lane, list, rows, count } of packed) {
    const [endpoint, model] = lane.split(' · ');
    out.push(`<g class="lane" data-lane="${esc(lane)}" data-endpoint="${esc(endpoint)}" data-model="${esc(model)}" data-rows="${count}">`);
    out.push(`<rect class="lane-bg" x="0" y="${top}" width="${width}" height="${count * LANE_H}"/>`);
    out.push(`<text class="lane-label" x="6" y="${top + LANE_H / 2 + 4}">${esc(lane)}</text>`);
    for (const c of list) {
      const y = top + rows.get(c)! * LANE_H;
      // The key tells repeated calls of one agent apart (`workers/step[3]` from `workers/step[4]`).
      const label = c.key || c.name;
      const title = `${label} · ${c.agent} · ${fmtMs(c.startAt)} → ${fmtMs(c.endAt!)}, ${c.status}${c.retries ? `, ${c.retries} retr${c.retries === 1 ? 'y' : 'ies'}` : ''}${c.variant ? `, variant ${c.variant}` : ''}`;
      out.push(
        `<g class="bar" tabindex="0" data-step-key="${esc(c.key)}" data-agent="${esc(c.agent)}" data-status="${c.status}" data-start-ms="${c.startAt}" data-end-ms="${c.endAt}" data-retries="${c.retries}"${c.variant ? ` data-variant="${esc(c.variant)}"` : ''} data-info="${esc(JSON.stringify({ key: c.key, name: c.name, agent: c.agent, model: c.model, endpoint: c.endpoint, variant: c.variant, startMs: c.startAt, endMs: c.endAt, status: c.status, error: c.error?.kind, retries: c.retries, timings: c.timings, usage: c.usage, tokensPerSecond: c.tokensPerSecond, tools: c.tools }))}"><title>${esc(title)}</title>`,
      );
      for (const s of callSegments(c)) {
        out.push(`<rect class="seg seg-${s.kind}" data-seg="${s.kind}" x="${px(x(s.from))}" y="${y + 4}" width="${px(Math.max(1, x(s.to) - x(s.from)))}" height="${LANE_H - 8}"/>`);
      }
      const width = x(c.endAt!) - x(c.startAt);
      if (c.status === 'failed') out.push(`<rect class="fail-outline" x="${px(x(c.startAt))}" y="${y + 3}" width="${px(Math.max(1, width))}" height="${LANE_H - 6}"/>`);
      if (width >= label.length * LABEL_CHAR_W + 6) out.push(`<text class="bar-label" x="${px(x(c.startAt) + 3)}" y="${y + LANE_H / 2 + 4}">${esc(label)}</text>`);
      out.push('</g>');
    }
    out.push('</g>');
    top += count * LANE_H;
  }
  out.push('</svg>');
  return out.join('');
}

export function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
