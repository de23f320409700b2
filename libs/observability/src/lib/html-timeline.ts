import type { CallRecord, RunSummary } from './run-summary';
import { esc, px } from './html-escape';

export const NO_ENDPOINT = '(no endpoint)';
const LANE_H = 26;
const LABEL_W = 230;
const PLOT_W = 900;
const AXIS_H = 22;

/** The lane of a call: one per endpoint and model. */
export function laneKey(call: Pick<CallRecord, 'endpoint' | 'model'>): string {
  return `${call.endpoint ?? NO_ENDPOINT} · ${call.model}`;
}

interface Segment {
  kind: 'retry' | 'queue' | 'load' | 'wait' | 'generate';
  from: number;
  to: number;
}

/**
 * The parts of a call bar: earlier attempts and backoff, then in the answering attempt
 * the queue wait, the cold load, the wait for the first token and generation. Timings are
 * measured from the send (after the queue); anything unknown folds into generation.
 */
export function callSegments(c: CallRecord): Segment[] {
  const end = c.endAt ?? c.startAt;
  const last = c.attempts[c.attempts.length - 1]!;
  const segs: Segment[] = [];
  const clamp = (t: number) => Math.min(end, Math.max(last.startAt, t));
  if (last.startAt > c.startAt) segs.push({ kind: 'retry', from: c.startAt, to: Math.min(end, last.startAt) });
  const t = c.timings ?? {};
  const sent = clamp(last.startAt + (t.queueMs ?? 0));
  const loaded = clamp(sent + (t.loadMs ?? 0));
  const first = t.firstTokenMs !== undefined ? clamp(Math.max(loaded, sent + t.firstTokenMs)) : loaded;
  segs.push({ kind: 'queue', from: last.startAt, to: sent }, { kind: 'load', from: sent, to: loaded }, { kind: 'wait', from: loaded, to: first }, { kind: 'generate', from: first, to: end });
  return segs.filter((s) => s.to > s.from);
}

/** One run's timeline as inline SVG: a lane per endpoint and model, a bar per agent call. */
export function renderTimeline(run: RunSummary): string {
  const calls = run.calls.filter((c) => c.endAt !== undefined);
  const lanes: string[] = [];
  for (const c of calls) if (!lanes.includes(laneKey(c))) lanes.push(laneKey(c));
  const span = Math.max(run.durationMs ?? 0, ...calls.map((c) => c.endAt!), 1);
  const x = (ms: number) => LABEL_W + (ms / span) * PLOT_W;
  const height = AXIS_H + lanes.length * LANE_H + 4;
  const out: string[] = [
    `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${LABEL_W + PLOT_W + 20}" height="${height}" viewBox="0 0 ${LABEL_W + PLOT_W + 20} ${height}" data-span-ms="${px(span)}" data-plot-x="${LABEL_W}" data-plot-width="${PLOT_W}" role="img" aria-label="timeline of run ${esc(run.runId)}">`,
  ];
  for (let i = 0; i <= 5; i++) {
    const ms = (span * i) / 5;
    out.push(`<line class="tick" x1="${px(x(ms))}" x2="${px(x(ms))}" y1="${AXIS_H - 4}" y2="${height}"/><text class="tick-label" x="${px(x(ms))}" y="${AXIS_H - 8}" text-anchor="middle">${esc(fmtMs(ms))}</text>`);
  }
  lanes.forEach((lane, i) => {
    const y = AXIS_H + i * LANE_H;
    const [endpoint, model] = lane.split(' · ');
    out.push(`<g class="lane" data-lane="${esc(lane)}" data-endpoint="${esc(endpoint)}" data-model="${esc(model)}">`);
    out.push(`<rect class="lane-bg" x="0" y="${y}" width="${LABEL_W + PLOT_W + 20}" height="${LANE_H}"/>`);
    out.push(`<text class="lane-label" x="6" y="${y + LANE_H / 2 + 4}">${esc(lane)}</text>`);
    for (const c of calls) {
      if (laneKey(c) !== lane) continue;
      const title = `${c.agent}${c.index !== undefined ? ` #${c.index}` : ''} (${c.step}) ${fmtMs(c.startAt)} → ${fmtMs(c.endAt!)}, ${c.status}${c.retries ? `, ${c.retries} retr${c.retries === 1 ? 'y' : 'ies'}` : ''}${c.variant ? `, variant ${c.variant}` : ''}`;
      out.push(
        `<g class="bar" tabindex="0" data-step-id="${esc(c.id)}" data-agent="${esc(c.agent)}" data-status="${c.status}" data-start-ms="${c.startAt}" data-end-ms="${c.endAt}" data-retries="${c.retries}"${c.variant ? ` data-variant="${esc(c.variant)}"` : ''} data-info="${esc(JSON.stringify({ agent: c.agent, step: c.step, model: c.model, endpoint: c.endpoint, variant: c.variant, startMs: c.startAt, endMs: c.endAt, status: c.status, error: c.error?.kind, retries: c.retries, timings: c.timings, usage: c.usage, tokensPerSecond: c.tokensPerSecond }))}"><title>${esc(title)}</title>`,
      );
      for (const s of callSegments(c)) {
        out.push(`<rect class="seg seg-${s.kind}" data-seg="${s.kind}" x="${px(x(s.from))}" y="${y + 4}" width="${px(Math.max(1, x(s.to) - x(s.from)))}" height="${LANE_H - 8}"/>`);
      }
      if (c.status === 'failed') out.push(`<rect class="fail-outline" x="${px(x(c.startAt))}" y="${y + 3}" width="${px(Math.max(1, x(c.endAt!) - x(c.startAt)))}" height="${LANE_H - 6}"/>`);
      out.push('</g>');
    }
    out.push('</g>');
  });
  out.push('</svg>');
  return out.join('');
}

export function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
