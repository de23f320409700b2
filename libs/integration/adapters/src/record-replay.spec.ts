import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Observable } from 'rxjs';
import { type ChatEvent, type ChatRequest, FlotillaError } from '@flotilla/core';
import { CONTRACT_SCHEMA, collectChat } from '@flotilla/core/testing';
import { FixtureModelClient, loadCassette, requestKey } from '@flotilla/adapter-fixture';
import { type AdapterTarget, type TargetScript, ollamaTarget, openAITarget } from './lib/adapter-target';

interface Scenario {
  name: string;
  script?: TargetScript;
  request(t: AdapterTarget): ChatRequest;
  /** What the live call must show, so a scenario cannot pass by recording nothing. */
  expectLive(outcome: Outcome): void;
}

interface Outcome {
  events: ChatEvent[];
  error?: unknown;
}

const ask = (t: AdapterTarget, text: string, over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: t.model,
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: text },
  ],
  ...over,
});

const TEXT = 'Harbours shelter ships from the open sea.';

const SCENARIOS: Scenario[] = [
  {
    name: 'plain text in several chunks',
    script: { type: 'text', text: TEXT, chunks: 5 },
    request: (t) => ask(t, 'Say something about harbours.'),
    expectLive: ({ events, error }) => {
      expect(error).toBeUndefined();
      expect(events.filter((e) => e.type === 'delta').length).toBeGreaterThanOrEqual(3);
      expect(events.at(-1)).toMatchObject({ type: 'final', message: { content: TEXT } });
    },
  },
  {
    name: 'structured output for a JSON Schema',
    script: { type: 'structured' },
    request: (t) => ask(t, 'Describe a harbour as JSON.', { format: CONTRACT_SCHEMA }),
    expectLive: ({ events, error }) => {
      expect(error).toBeUndefined();
      const final = events.at(-1);
      expect(final?.type).toBe('final');
      expect(JSON.parse(final?.type === 'final' ? final.message.content : '')).toMatchObject({ status: 'open' });
    },
  },
  {
    name: 'a tool call',
    script: { type: 'toolCall', name: 'lookup', arguments: { city: 'Oslo', limit: 2 } },
    request: (t) =>
      ask(t, 'Find the harbour of Oslo.', {
        tools: [
          {
            name: 'lookup',
            description: 'Find a harbour',
            parameters: { type: 'object', properties: { city: { type: 'string' }, limit: { type: 'integer' } }, required: ['city', 'limit'] },
          },
        ],
      }),
    expectLive: ({ events, error }) => {
      expect(error).toBeUndefined();
      expect(events.filter((e) => e.type === 'toolCall')).toEqual([
        expect.objectContaining({ call: expect.objectContaining({ name: 'lookup', arguments: { city: 'Oslo', limit: 2 } }) }),
      ]);
      expect(events.at(-1)).toMatchObject({ type: 'final', finishReason: 'toolCalls' });
    },
  },
  {
    name: 'modelNotFound',
    request: (t) => ask(t, 'Anyone there?', { model: t.missingModel }),
    expectLive: ({ events, error }) => {
      expect(events).toEqual([]);
      expect(FlotillaError.is(error, 'modelNotFound')).toBe(true);
    },
  },
  {
    name: 'overloaded',
    script: { type: 'overloaded' },
    request: (t) => ask(t, 'Busy?'),
    expectLive: ({ error }) => {
      expect(FlotillaError.is(error, 'overloaded')).toBe(true);
      expect((error as FlotillaError).retryable).toBe(true);
    },
  },
  {
    name: 'an error inside the stream, after two chunks',
    script: { type: 'midStreamError', afterChunks: 2, message: 'an error was encountered while running the model' },
    request: (t) => ask(t, 'Fail halfway.'),
    expectLive: ({ events, error }) => {
      expect(events.filter((e) => e.type === 'delta').length).toBeGreaterThanOrEqual(1);
      expect(events.some((e) => e.type === 'final')).toBe(false);
      expect(FlotillaError.is(error)).toBe(true);
    },
  },
];

/** Events as compared across record and replay: timings are measurements, not content. */
function comparable(events: readonly ChatEvent[]): unknown[] {
  return events.map((e) => {
    if (e.type !== 'final') return e;
    const { timings: _timings, ...rest } = e;
    return rest;
  });
}

function errorShape(error: unknown): unknown {
  if (error === undefined) return undefined;
  if (!FlotillaError.is(error)) return { notAFlotillaError: String(error) };
  return { kind: error.kind, message: error.message, retryable: error.retryable, details: JSON.parse(JSON.stringify(error.details ?? {})) };
}

/** Subscribes and notes each event's arrival, in ms since subscription. */
function timed(events: Observable<ChatEvent>): Promise<{ events: ChatEvent[]; atMs: number[]; error?: unknown }> {
  return new Promise((resolve) => {
    const out: ChatEvent[] = [];
    const atMs: number[] = [];
    const start = performance.now();
    events.subscribe({
      next: (e) => {
        out.push(e);
        atMs.push(performance.now() - start);
      },
      error: (error: unknown) => resolve({ events: out, atMs, error }),
      complete: () => resolve({ events: out, atMs }),
    });
  });
}

describe.each([ollamaTarget, openAITarget])('record, then replay: $name', (factory) => {
  let target: AdapterTarget;
  let dir: string;
  beforeAll(async () => {
    target = await factory.start();
    dir = mkdtempSync(join(tmpdir(), 'flotilla-record-replay-'));
  });
  afterAll(async () => {
    await target?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  describe('every scenario', () => {
    const live = new Map<string, Outcome>();
    let replay: FixtureModelClient;

    it('records through FixtureModelClient (record mode) into a temp cassette, one entry per scenario', async () => {
      const cassette = join(dir, 'scenarios.json');
      const recorder = new FixtureModelClient({ cassette, mode: 'record', inner: target.client, source: factory.name });
      for (const s of SCENARIOS) {
        if (s.script) target.scriptNext(s.script);
        const c = await collectChat(recorder.chat(s.request(target)));
        s.expectLive(c);
        live.set(s.name, c);
      }
      const file = loadCassette(cassette);
      expect(Object.keys(file.entries).sort()).toEqual(SCENARIOS.map((s) => requestKey(s.request(target))).sort());
      replay = new FixtureModelClient({ cassette, mode: 'replay' });
    });

    it.each(SCENARIOS.map((s) => [s.name, s] as const))('replays %s as recorded: kinds, order, text, tool calls, usage, error', async (_name, s) => {
      const recorded = live.get(s.name);
      expect(recorded).toBeDefined();
      const c = await collectChat(replay.chat(s.request(target)));
      expect(comparable(c.events)).toEqual(comparable(recorded!.events));
      expect(errorShape(c.error)).toEqual(errorShape(recorded!.error));
      expect(c.completed).toBe(recorded!.error === undefined);
    });

    it('served every replay from the cassette, none cancelled', () => {
      expect(replay.replayOutcomes).toEqual({ completed: 3, failed: 3, cancelled: 0 });
      expect(replay.activeReplays).toBe(0);
    });
  });

  it('replays at the recorded pace: the gaps between events come back within a tolerance', async () => {
    const cassette = join(dir, 'paced.json');
    const request = ask(target, 'Trickle about harbours.');
    // 6 chunks 40 ms apart in real time (the simulators do not scale `intervalMs`).
    target.scriptNext({ type: 'text', text: 'Quays, piers, moles, breakwaters, locks, basins.', chunks: 6, intervalMs: 40 });
    const recorder = new FixtureModelClient({ cassette, mode: 'record', inner: target.client });
    const live = await timed(recorder.chat(request));
    expect(live.error).toBeUndefined();
    const offsets = loadCassette(cassette).entries[requestKey(request)]!.timing!.offsetsMs;
    expect(offsets).toHaveLength(live.events.length);

    const paced = await timed(new FixtureModelClient({ cassette, pace: 'recorded' }).chat(request));
    expect(comparable(paced.events)).toEqual(comparable(live.events));
    const deltas = live.events.map((e, i) => (e.type === 'delta' ? i : -1)).filter((i) => i >= 0);
    expect(deltas.length).toBeGreaterThanOrEqual(5);
    const gap = (at: readonly number[], i: number) => at[i]! - at[i - 1]!;
    const excess: number[] = [];
    for (const i of deltas.slice(1)) {
      const recordedGap = offsets[i]! - offsets[i - 1]!;
      expect(recordedGap).toBeGreaterThanOrEqual(30); // the simulator really trickled
      // Each wait starts when the previous event went out, so no gap comes back shorter (1 ms of rounding)...
      expect(gap(paced.atMs, i)).toBeGreaterThanOrEqual(recordedGap - 2);
      excess.push(gap(paced.atMs, i) - recordedGap);
    }
    // ...and lateness is timer jitter: a few ms typically. Each late event delays the rest, so
    // on a loaded machine (parallel test runs on 2 cores) the drift adds up: bounded at half the span.
    excess.sort((a, b) => a - b);
    expect(excess[excess.length >> 1]!).toBeLessThanOrEqual(15);
    const lastDelta = deltas.at(-1)!;
    const recordedSpan = offsets[lastDelta]! - offsets[deltas[0]!]!;
    const tolerance = (span: number) => 20 + span * 0.5;
    expect(paced.atMs[lastDelta]!).toBeGreaterThanOrEqual(offsets[lastDelta]! - 2);
    expect(paced.atMs[lastDelta]! - offsets[lastDelta]!).toBeLessThanOrEqual(tolerance(recordedSpan));

    // Twice as fast: gaps halve.
    const fast = await timed(new FixtureModelClient({ cassette, pace: 'recorded', speed: 2 }).chat(request));
    const span = (at: readonly number[]) => at[lastDelta]! - at[deltas[0]!]!;
    expect(span(fast.atMs)).toBeGreaterThanOrEqual(recordedSpan / 2 - 3);
    expect(span(fast.atMs)).toBeLessThanOrEqual(recordedSpan / 2 + tolerance(recordedSpan / 2));
  });
});
