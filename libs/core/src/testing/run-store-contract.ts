import { FlotillaError } from '../lib/errors/flotilla-error';
import { pruneRuns } from '../lib/store/retention';
import { RUN_STORE_SCHEMA_VERSION, type JournalEntry, type NewRunRecord, type RunStore } from '../lib/store/run-store.interface';

/** How the contract suite gets a fresh, empty store for each test, and disposes of it. */
export interface RunStoreContractHarness {
  open(): RunStore | Promise<RunStore>;
  /** After each test; default: the store's close(). */
  dispose?(store: RunStore): void | Promise<void>;
}

/** A run row for tests. */
export function sampleRun(runId: string, overrides: Partial<NewRunRecord> = {}): NewRunRecord {
  return {
    runId,
    chain: 'sample',
    chainHash: 'a'.repeat(64),
    input: { objective: 'reverse a string', tags: ['a', 'b'] },
    options: { maxModelCalls: 10 },
    usage: { promptTokens: 0, completionTokens: 0, modelCalls: 0 },
    createdAt: 1_700_000_000_000,
    ...overrides,
  };
}

function entry(stepKey: string, output: unknown): JournalEntry {
  return {
    stepKey,
    kind: 'call',
    output,
    call: { agent: 'worker', model: 'm', attempts: 1, usage: { promptTokens: 3, completionTokens: 4 }, timings: { totalMs: 5 } },
    at: 1_700_000_000_500,
  };
}

/**
 * The behaviour every `RunStore` shares (the in-memory store, SQLite, and later stores shared
 * by several machines): run rows, journals keyed by step key, counters that only go up,
 * typed refusals.
 */
export function describeRunStoreContract(name: string, harness: RunStoreContractHarness): void {
  describe(`RunStore contract: ${name}`, () => {
    let store: RunStore;
    beforeEach(async () => {
      store = await harness.open();
    });
    afterEach(async () => {
      await (harness.dispose ? harness.dispose(store) : store.close());
    });

    it('records a new run as running, with its input, options and zero counters', async () => {
      expect(store.schemaVersion).toBe(RUN_STORE_SCHEMA_VERSION);
      await store.createRun(sampleRun('r1'));
      const run = await store.getRun('r1');
      expect(run).toMatchObject({ runId: 'r1', chain: 'sample', chainHash: 'a'.repeat(64), status: 'running', journaled: 0, createdAt: 1_700_000_000_000 });
      expect(run!.input).toEqual({ objective: 'reverse a string', tags: ['a', 'b'] });
      expect(run!.options).toEqual({ maxModelCalls: 10 });
      expect(run!.usage).toEqual({ promptTokens: 0, completionTokens: 0, modelCalls: 0 });
      expect(await store.getRun('nope')).toBeUndefined();
      expect(await store.readJournal('nope')).toEqual([]);
    });

    it('refuses a run id that exists, as config with reason runExists', async () => {
      await store.createRun(sampleRun('r1'));
      const e = await store.createRun(sampleRun('r1')).catch((x: unknown) => x);
      expect(FlotillaError.is(e, 'config')).toBe(true);
      expect((e as FlotillaError).details['reason']).toBe('runExists');
    });

    it('appends entries in order with the counters, which only go up', async () => {
      await store.createRun(sampleRun('r1'));
      await store.createRun(sampleRun('r2'));
      await store.append('r1', entry('plan', { steps: ['x', 'y'] }), { promptTokens: 10, completionTokens: 5, modelCalls: 1 });
      await store.append('r1', entry('do/step[1]', 'B'), { promptTokens: 30, completionTokens: 9, modelCalls: 3 });
      // Written late by a slower writer: lower counters do not lower the run's.
      await store.append('r1', entry('do/step[0]', 'A'), { promptTokens: 20, completionTokens: 7, modelCalls: 2 });
      const journal = await store.readJournal('r1');
      expect(journal.map((e) => e.stepKey)).toEqual(['plan', 'do/step[1]', 'do/step[0]']);
      expect(journal[0]).toEqual(entry('plan', { steps: ['x', 'y'] }));
      const run = await store.getRun('r1');
      expect(run!.usage).toEqual({ promptTokens: 30, completionTokens: 9, modelCalls: 3 });
      expect(run!.journaled).toBe(3);
      expect(await store.readJournal('r2')).toEqual([]);
    });

    it('refuses a second entry for a step key, and an entry for an unknown run', async () => {
      await store.createRun(sampleRun('r1'));
      await store.append('r1', entry('plan', 1), { promptTokens: 1, completionTokens: 1, modelCalls: 1 });
      const dup = await store.append('r1', entry('plan', 2), { promptTokens: 2, completionTokens: 2, modelCalls: 2 }).catch((x: unknown) => x);
      expect((dup as FlotillaError).details['reason']).toBe('duplicateStep');
      // Refused as a whole: neither the entry nor the counters changed.
      expect((await store.readJournal('r1')).map((e) => e.output)).toEqual([1]);
      expect((await store.getRun('r1'))!.usage.modelCalls).toBe(1);
      const unknown = await store.append('nope', entry('plan', 1), { promptTokens: 0, completionTokens: 0, modelCalls: 0 }).catch((x: unknown) => x);
      expect((unknown as FlotillaError).details['reason']).toBe('runNotFound');
    });

    it('records how a run ended, and reopens it for a resume', async () => {
      await store.createRun(sampleRun('r1'));
      await store.finish('r1', { status: 'failed', error: { kind: 'unavailable', message: 'down', retryable: true }, usage: { promptTokens: 4, completionTokens: 2, modelCalls: 1 } });
      expect(await store.getRun('r1')).toMatchObject({ status: 'failed', error: { kind: 'unavailable', message: 'down' }, usage: { promptTokens: 4, completionTokens: 2, modelCalls: 1 } });
      expect(await store.acquireLease('r1', 'host:1:a', 1000)).toBeUndefined();
      const reopened = await store.getRun('r1');
      expect(reopened!.status).toBe('running');
      expect(reopened!.error).toBeUndefined();
      expect(reopened!.lease).toMatchObject({ owner: 'host:1:a' });
      await store.finish('r1', { status: 'succeeded', output: { done: [1, 2] }, usage: { promptTokens: 9, completionTokens: 3, modelCalls: 2 } }, 'host:1:a');
      const done = await store.getRun('r1');
      expect(done).toMatchObject({ status: 'succeeded', output: { done: [1, 2] }, usage: { promptTokens: 9, completionTokens: 3, modelCalls: 2 } });
      // Ending a run releases its lease.
      expect(done!.lease).toBeUndefined();
    });

    it('leases a run to one owner at a time; an expired lease, or a dead holder named, can be taken over', async () => {
      await store.createRun(sampleRun('r1'), { owner: 'a', ttlMs: 60_000 });
      expect((await store.getRun('r1'))!.lease).toMatchObject({ owner: 'a' });
      const blocked = await store.acquireLease('r1', 'b', 60_000);
      expect(blocked).toMatchObject({ owner: 'a' });
      expect(blocked!.expiresAt).toBeGreaterThan(Date.now() + 50_000);
      // The holder may take it again (a renewal by another name); a dead holder named is taken over.
      expect(await store.acquireLease('r1', 'a', 60_000)).toBeUndefined();
      expect(await store.acquireLease('r1', 'b', 60_000, 'a')).toBeUndefined();
      expect(await store.renewLease('r1', 'a', 60_000)).toBe(false);
      expect(await store.renewLease('r1', 'b', 60_000)).toBe(true);
      // An expired lease is free for anyone.
      expect(await store.acquireLease('r1', 'c', 1)).toMatchObject({ owner: 'b' });
      expect(await store.acquireLease('r1', 'b', 1)).toBeUndefined();
      await new Promise((r) => setTimeout(r, 10));
      expect(await store.acquireLease('r1', 'c', 60_000)).toBeUndefined();
      expect(await store.acquireLease('nope', 'c', 60_000).catch((e: FlotillaError) => e.details['reason'])).toBe('runNotFound');
    });

    it('fences writes: an owner that lost its lease can neither journal nor end the run', async () => {
      await store.createRun(sampleRun('r1'), { owner: 'a', ttlMs: 1 });
      await new Promise((r) => setTimeout(r, 10));
      expect(await store.acquireLease('r1', 'b', 60_000)).toBeUndefined();
      const late = await store.append('r1', entry('plan', 'from a'), { promptTokens: 1, completionTokens: 1, modelCalls: 1 }, 'a').catch((e: unknown) => e);
      expect(FlotillaError.is(late, 'overloaded')).toBe(true);
      expect((late as FlotillaError).details['reason']).toBe('runLeased');
      await store.append('r1', entry('plan', 'from b'), { promptTokens: 1, completionTokens: 1, modelCalls: 1 }, 'b');
      expect((await store.readJournal('r1')).map((e) => e.output)).toEqual(['from b']);
      const end = await store.finish('r1', { status: 'failed', usage: { promptTokens: 1, completionTokens: 1, modelCalls: 1 } }, 'a').catch((e: FlotillaError) => e.details['reason']);
      expect(end).toBe('runLeased');
      expect((await store.getRun('r1'))!.status).toBe('running');
    });

    it('keeps a waiting run\'s question, and its human answers as journal entries; a lease clears the question', async () => {
      await store.createRun(sampleRun('w1'), { owner: 'a', ttlMs: 60_000 });
      const question = { stepKey: 'check', question: 'Publish?', value: { text: 'hi' }, expiresAt: 1_800_000_000_000 };
      await store.finish('w1', { status: 'waiting', waiting: question, usage: { promptTokens: 1, completionTokens: 1, modelCalls: 1 } }, 'a');
      const waiting = await store.getRun('w1');
      expect(waiting).toMatchObject({ status: 'waiting', waiting: question });
      expect(waiting!.output).toBeUndefined();
      expect(waiting!.lease).toBeUndefined();
      expect(await store.acquireLease('w1', 'b', 60_000)).toBeUndefined();
      await store.append('w1', { stepKey: 'check', kind: 'human', output: { action: 'approve', approved: true, value: 1 }, at: 1 }, { promptTokens: 1, completionTokens: 1, modelCalls: 1 }, 'b');
      expect(await store.readJournal('w1')).toEqual([{ stepKey: 'check', kind: 'human', output: { action: 'approve', approved: true, value: 1 }, at: 1 }]);
      const running = await store.getRun('w1');
      expect(running!.status).toBe('running');
      expect(running!.waiting).toBeUndefined();
    });

    it('lists runs (most recently updated first, by status, limited) and deletes runs no live lease holds', async () => {
      await store.createRun(sampleRun('l1'));
      await store.finish('l1', { status: 'succeeded', output: 1, usage: { promptTokens: 0, completionTokens: 0, modelCalls: 0 } });
      await new Promise((r) => setTimeout(r, 5));
      await store.createRun(sampleRun('l2'), { owner: 'a', ttlMs: 60_000 });
      await store.append('l2', { ...entry('plan', 'p'), at: Date.now() }, { promptTokens: 1, completionTokens: 1, modelCalls: 1 }, 'a');
      expect((await store.listRuns()).map((r) => r.runId)).toEqual(['l2', 'l1']);
      expect((await store.listRuns({ status: 'succeeded' })).map((r) => r.runId)).toEqual(['l1']);
      expect((await store.listRuns({ limit: 1 })).map((r) => r.runId)).toEqual(['l2']);
      expect(await store.deleteRun('l2')).toBe(false);
      expect(await store.readJournal('l2')).toHaveLength(1);
      expect(await store.deleteRun('l1')).toBe(true);
      expect(await store.deleteRun('l1')).toBe(false);
      expect(await store.getRun('l1')).toBeUndefined();
      await store.finish('l2', { status: 'failed', usage: { promptTokens: 1, completionTokens: 1, modelCalls: 1 } }, 'a');
      expect(await store.deleteRun('l2')).toBe(true);
      expect(await store.readJournal('l2')).toEqual([]);
      expect(await store.listRuns()).toEqual([]);
    });
    it('prunes finished runs by count and by age (pruneRuns), never a running or waiting one', async () => {
      const usage = { promptTokens: 0, completionTokens: 0, modelCalls: 0 };
      const ended = ['succeeded', 'failed', 'cancelled', 'succeeded', 'failed'] as const;
      for (const [i, status] of ended.entries()) {
        await store.createRun(sampleRun(`p${i}`));
        await store.finish(`p${i}`, { status, usage });
        await new Promise((r) => setTimeout(r, 3));
      }
      await store.createRun(sampleRun('waits'));
      await store.finish('waits', { status: 'waiting', waiting: { stepKey: 'check', question: 'ok?', value: 1 }, usage });
      await store.createRun(sampleRun('runs'), { owner: 'a', ttlMs: 60_000 });
      // A crashed run (running, lease long expired) is not finished either: it stays resumable.
      await store.createRun(sampleRun('crashed'), { owner: 'gone', ttlMs: 1 });
      const ids = async () => (await store.listRuns()).map((r) => r.runId).sort();
      // By count: the two most recently updated finished runs stay.
      expect(await pruneRuns(store, { maxRuns: 2 })).toBe(3);
      expect(await ids()).toEqual(['crashed', 'p3', 'p4', 'runs', 'waits']);
      expect(await store.readJournal('p0')).toEqual([]);
      // By age: nothing is older than a day yet; a day later every finished run is.
      expect(await pruneRuns(store, { maxAgeMs: 86_400_000 })).toBe(0);
      expect(await pruneRuns(store, { maxAgeMs: 86_400_000 }, Date.now() + 2 * 86_400_000)).toBe(2);
      expect(await ids()).toEqual(['crashed', 'runs', 'waits']);
      expect(await pruneRuns(store, { maxRuns: 0, maxAgeMs: 0 }, Date.now() + 1000)).toBe(0);
      expect(await ids()).toEqual(['crashed', 'runs', 'waits']);
    });
  });
}
