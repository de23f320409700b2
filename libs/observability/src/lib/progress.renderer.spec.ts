import { PassThrough } from 'node:stream';
import type { RunEvent } from '@flotilla/core';
import { ProgressRenderer } from './progress.renderer';

const base = { runId: 'r1', at: 0 };
const start = (id: string, parentId: string | undefined, step: string, kind: string, index?: number, agent?: string): RunEvent =>
  ({ ...base, type: 'step.start', id, parentId, step, kind, index, agent, model: agent && 'm' }) as RunEvent;
const end = (id: string, step: string): RunEvent =>
  ({ ...base, type: 'step.end', id, step, kind: 'call', output: 'x', call: { agent: 'a', model: 'm', attempts: 1, usage: { promptTokens: 1, completionTokens: 7 }, timings: {} } }) as RunEvent;

function capture(live: boolean) {
  const out = Object.assign(new PassThrough(), { isTTY: live });
  let text = '';
  out.on('data', (d) => (text += String(d)));
  return { out, text: () => text };
}

describe('ProgressRenderer', () => {
  const events: RunEvent[] = [
    start('s1', 'r1', 'sequence', 'sequence'),
    start('s2', 's1', 'classify', 'fanOut', 0),
    start('s3', 's2', 'sequence', 'sequence', 1),
    start('s4', 's3', 'classifier', 'call', 0, 'classifier'),
    start('s5', 's1', 'review', 'reviewLoop', 1),
    start('s6', 's5', 'revise', 'call', 2, 'worker'),
  ];

  it('labels calls by their place in the step tree: fan-out branch numbers, review rounds', () => {
    const { out, text } = capture(false);
    const r = new ProgressRenderer(out);
    r.start();
    for (const e of events) r.onEvent(e);
    r.onEvent(end('s4', 'classifier'));
    r.onEvent(end('s6', 'revise'));
    r.stop();
    expect(text()).toMatch(/✓ classify #2\/classifier\s+classifier\s+m\s+7 tok/);
    expect(text()).toMatch(/✓ review\/revise r3\s+worker/);
    expect(text()).not.toContain('\x1b[');
  });

  it('on a terminal, redraws the calls in flight in place and clears them at the end', async () => {
    const { out, text } = capture(true);
    const r = new ProgressRenderer(out);
    r.start();
    for (const e of events) r.onEvent(e);
    await new Promise((res) => setTimeout(res, 250));
    r.stop();
    expect(text()).toMatch(/classify #2\/classifier .* 0 tok/);
    expect(text()).toContain('2 call(s) in flight');
    expect(text().endsWith('\x1b[0J')).toBe(true);
  });
});
