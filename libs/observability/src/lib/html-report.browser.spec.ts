/**
 * The HTML report in a real headless Chromium (playwright-core, the system browser):
 * lanes and bars through the DOM, no console errors, nothing fetched, a drawn screenshot.
 * A missing Chromium fails (never skips) with the setup line from the README.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
// eslint-disable-next-line @nx/enforce-module-boundaries -- test-only: the shared headless Chromium launcher
import { type HeadlessChromium, launchHeadlessChromium, openWatchedPage } from '@flotilla/testing';
import { renderHtmlReport } from './html-report';
import { laneKey } from './html-timeline';
import { summarizeRun, type RunSummary } from './run-summary';
import { variantReport } from './variant-report';
import { sampleRun } from './testing/run-events.builder';
import { abRuns } from './testing/ab-runs';
import { distinctPngColours } from './testing/png';

jest.setTimeout(120_000);

let chrome: HeadlessChromium | undefined;

beforeAll(async () => {
  chrome = await launchHeadlessChromium('flotilla-html-');
});

afterAll(async () => {
  await chrome?.close();
});

async function open(runs: RunSummary[]) {
  const html = renderHtmlReport(runs, variantReport(runs));
  const path = join(chrome!.dir, `report-${Math.random().toString(36).slice(2)}.html`);
  await writeFile(path, html);
  const url = `file://${path}`;
  return { ...(await openWatchedPage(chrome!.browser, url)), url, html };
}

describe('HTML report in Chromium', () => {
  it('draws one lane per endpoint and model with a bar per call at the trace\'s times', async () => {
    const run = summarizeRun(sampleRun('r9'), 1_700_000_000_000);
    const { page, problems, requests, url, html } = await open([run]);

    const lanes = await page.$$eval('[data-run-id="r9"] .lane', (els) => els.map((e) => e.getAttribute('data-lane')));
    const expectedLanes = [...new Set(run.calls.map(laneKey))];
    expect(lanes).toEqual(expectedLanes);
    expect(lanes).toEqual(['gpu-a · planner-3b', 'gpu-a · coder-7b', 'gpu-b · coder-7b', '(no endpoint) · critic-3b']);

    const bars = await page.$$eval('[data-run-id="r9"] .bar', (els) =>
      els.map((e) => {
        const box = e.getBoundingClientRect();
        const lane = e.closest('.lane')!.getAttribute('data-lane');
        const svg = e.closest('svg')!;
        const origin = svg.getBoundingClientRect().left;
        const plotX = Number(svg.getAttribute('data-plot-x'));
        const plotW = Number(svg.getAttribute('data-plot-width'));
        const span = Number(svg.getAttribute('data-span-ms'));
        return {
          key: e.getAttribute('data-step-key'),
          label: e.querySelector('.bar-label')?.textContent ?? null,
          labelInside: (() => {
            const l = e.querySelector('.bar-label')?.getBoundingClientRect();
            return l === undefined || (l.left >= box.left && l.right <= box.right);
          })(),
          title: e.querySelector('title')!.textContent,
          lane,
          start: Number(e.getAttribute('data-start-ms')),
          end: Number(e.getAttribute('data-end-ms')),
          status: e.getAttribute('data-status'),
          segs: [...e.querySelectorAll('.seg')].map((s) => s.getAttribute('data-seg')),
          // Where the bar is drawn, back in ms.
          drawnStart: ((box.left - origin - plotX) / plotW) * span,
          drawnEnd: ((box.right - origin - plotX) / plotW) * span,
        };
      }),
    );
    expect(bars).toHaveLength(run.calls.length);
    // Each bar carries its step key: the three worker calls are told apart in the tooltip and on the bar.
    expect(bars.map((b) => b.key).sort()).toEqual(['2', 'plan', 'workers/step[0]', 'workers/step[1]', 'workers/step[2]']);
    for (const b of bars) {
      expect(b.title!.startsWith(`${b.key} · `)).toBe(true);
      expect([b.key, b.label, b.labelInside]).toEqual([b.key, b.key, true]);
    }
    for (const c of run.calls) {
      const bar = bars.find((b) => b.key === c.key)!;
      expect(bar).toMatchObject({ lane: laneKey(c), start: c.startAt, end: c.endAt, status: c.status });
      expect(Math.abs(bar.drawnStart - c.startAt)).toBeLessThan(2);
      expect(Math.abs(bar.drawnEnd - c.endAt!)).toBeLessThan(2);
    }
    // The manager: queue wait, cold load, wait for the first token, generation; the retried worker shows its first attempt.
    expect(bars.find((b) => b.start === 1)!.segs).toEqual(['queue', 'load', 'wait', 'generate']);
    expect(bars.find((b) => b.end === 260)!.segs[0]).toBe('retry');
    const failed = bars.find((b) => b.status === 'failed')!;
    expect([failed.lane, failed.segs]).toEqual(['(no endpoint) · critic-3b', ['failed']]);
    // Two gpu-b workers overlap in time: they stack in two rows of the one lane, neither hides the other.
    expect(await page.$eval('[data-run-id="r9"] .lane[data-lane="gpu-b · coder-7b"]', (e) => e.getAttribute('data-rows'))).toBe('2');
    const tops = await page.$$eval('[data-run-id="r9"] .lane[data-lane="gpu-b · coder-7b"] .bar', (els) => els.map((e) => Math.round(e.getBoundingClientRect().top)));
    expect(new Set(tops).size).toBe(2);

    // The inline script works: clicking a bar shows its call.
    await page.click('[data-run-id="r9"] .bar[data-agent="manager"]');
    expect(JSON.parse((await page.textContent('[data-run-id="r9"] .details'))!)).toMatchObject({ key: 'plan', agent: 'manager', endpoint: 'gpu-a', timings: { loadMs: 60 } });
    await page.click('[data-run-id="r9"] .bar[data-step-key="workers/step[1]"]');
    expect(JSON.parse((await page.textContent('[data-run-id="r9"] .details'))!)).toMatchObject({ key: 'workers/step[1]', name: 'worker', endpoint: 'gpu-b' });

    expect(problems).toEqual([]);
    expect(requests).toEqual([url]);
    expect(html).not.toMatch(/\s(src|href)\s*=|@import|url\(/i);

    const png = await page.screenshot({ fullPage: true });
    expect(distinctPngColours(png)).toBeGreaterThan(20);
    await page.close();
  });

  it('charts the variant comparison across a set of runs', async () => {
    const runs = [...abRuns('a', 'fast', 12, 100, 4), ...abRuns('b', 'slow', 12, 200)].map((e, i) => summarizeRun(e, 1_700_000_000_000 + i * 1000));
    const { page, problems } = await open(runs);
    expect(await page.$$eval('.run', (els) => els.length)).toBe(24);
    const charts = await page.$$eval('.variants[data-agent="worker"] .chart', (els) => els.map((e) => e.getAttribute('data-metric')));
    expect(charts).toEqual(['latency p50 / p95', 'success rate', 'tokens per second', 'retries per call']);
    const latency = await page.$$eval('.chart[data-metric="latency p50 / p95"] .chart-bar', (els) =>
      els.map((e) => ({ label: e.getAttribute('data-label'), value: Number(e.getAttribute('data-value')), width: e.getBoundingClientRect().width })),
    );
    const report = variantReport(runs);
    const [fast, slow] = report.agents[0]!.variants;
    expect(latency.map((b) => [b.label, b.value])).toEqual([
      ['fast p50', fast!.latencyP50Ms],
      ['fast p95', fast!.latencyP95Ms],
      ['slow p50', slow!.latencyP50Ms],
      ['slow p95', slow!.latencyP95Ms],
    ]);
    expect(latency[0]!.width).toBeLessThan(latency[2]!.width);
    expect(await page.textContent('.variants[data-agent="worker"] .verdicts')).toContain('fast is faster');
    expect(problems).toEqual([]);
    const png = await page.screenshot();
    expect(distinctPngColours(png)).toBeGreaterThan(20);
    await page.close();
  });
});
