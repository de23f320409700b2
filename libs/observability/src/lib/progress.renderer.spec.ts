import { PassThrough } from 'node:stream';
import { ProgressRenderer } from './progress.renderer';
import { sampleRun } from './testing/run-events.builder';
import { testEngine } from './testing/engine-run';

function capture(live: boolean) {
  const out = Object.assign(new PassThrough(), { isTTY: live });
  let text = '';
  out.on('data', (d) => (text += String(d)));
  return { out, text: () => text };
}

const internals = (r: ProgressRenderer) => r as unknown as { runs: Map<string, unknown> };

describe('ProgressRenderer', () => {
  it('labels each call by its step key, so calls of one agent are told apart', async () => {
    const { out, text } = capture(false);
    const r = new ProgressRenderer(out);
    r.start();
    (await testEngine().run()).forEach((e) => r.next(e));
    r.stop();
    const done = text()
      .split('\n')
      .filter((l) => l.includes('✓'))
      .map((l) => l.trim().split(/\s+/).slice(1, 3).join(' '));
    expect(done.sort()).toEqual(['0 planner', 'code/step[0] coder', 'code/step[1] coder', 'code/step[2] coder']);
    expect(text()).not.toContain('\x1b[');
    expect(internals(r).runs.size).toBe(0);
  });

  it('marks a call a resumed run took from its journal', () => {
    const { out, text } = capture(false);
    const r = new ProgressRenderer(out);
    for (const e of sampleRun('r1')) r.next(e.type === 'step.end' && e.key === 'plan' && e.call ? { ...e, call: { ...e.call, journaled: true } } : e);
    expect(text()).toMatch(/↺ plan\s+manager\s+\S+\s+\d+ tok \(journal\)/);
    expect(text()).not.toMatch(/✓ plan/);
    expect(text()).toMatch(/✓ workers\/step\[0\]/);
  });

  it('prints retries and failures under the key, and keeps interleaved runs of one chain apart', () => {
    const { out, text } = capture(false);
    const r = new ProgressRenderer(out);
    const a = sampleRun('r1');
    const b = sampleRun('r2');
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (a[i]) r.next(a[i]!);
      if (b[i]) r.next(b[i]!);
    }
    const lines = text().split('\n');
    expect(lines.filter((l) => l.includes('✓'))).toHaveLength(8);
    expect(lines.filter((l) => /✓ workers\/step\[2\]\s+worker\s+coder-7b\s+20 tok/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => /✗ 2\s+reviewer\s+critic-3b\s+timeout: no first token within 30 ms/.test(l))).toHaveLength(2);
    expect(lines.filter((l) => l.includes('↻ workers/step[2]: retry 1 after overloaded'))).toHaveLength(2);
    expect(internals(r).runs.size).toBe(0);
  });

  it('on a terminal, redraws the calls in flight in place and clears them at the end', async () => {
    const { out, text } = capture(true);
    const r = new ProgressRenderer(out);
    r.start();
    // Up to the fan-out's start: the plan has finished, three workers are in flight.
    sampleRun('r1')
      .filter((e) => e.at <= 122)
      .forEach((e) => r.next(e));
    await new Promise((res) => setTimeout(res, 250));
    r.stop();
    expect(text()).toMatch(/✓ plan\s+manager/);
    for (const i of [0, 1, 2]) expect(text()).toMatch(new RegExp(`workers/step\\[${i}\\]\\s+worker\\s+coder-7b\\s+0 tok`));
    expect(text()).toContain('3 call(s) in flight');
    expect(text().endsWith('\x1b[0J')).toBe(true);
    r.abandon('r1');
    expect(internals(r).runs.size).toBe(0);
  });
});
