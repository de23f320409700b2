import { defineAgent } from '../agents/agent-spec';
import { createFlotilla } from '../flotilla/create-flotilla';
import { FlotillaError } from '../errors/flotilla-error';
import { ScriptedModelClient } from '../../testing/scripted.model-client';
import { sampleRun } from '../../testing/run-store-contract';
import { InMemoryRunStore } from './memory.run-store';
import { DEFAULT_RETENTION, RETENTION_SWEEP_EVERY } from './retention';
import type { RunStore } from './run-store.interface';

const usage = { promptTokens: 0, completionTokens: 0, modelCalls: 0 };
const echo = defineAgent({ name: 'echo', model: 'm', prompt: (s: string) => s });
const client = () => new ScriptedModelClient(() => ({ text: 'ok', usage: { promptTokens: 1, completionTokens: 1 } }));

async function fill(store: RunStore, finished: number): Promise<void> {
  for (let i = 0; i < finished; i++) {
    await store.createRun(sampleRun(`old-${i}`));
    await store.finish(`old-${i}`, { status: i % 2 ? 'failed' : 'succeeded', usage });
  }
}
const count = async (store: RunStore) => (await store.listRuns()).reduce((n, r) => ({ ...n, [r.status]: (n[r.status] ?? 0) + 1 }), {} as Record<string, number>);

describe('retention', () => {
  it('by default, a Flotilla with a store bounds it when it opens: at most 1,000 finished runs, waiting ones kept', async () => {
    expect(DEFAULT_RETENTION).toEqual({ maxAgeMs: 30 * 86_400_000, maxRuns: 1000 });
    const store = new InMemoryRunStore();
    await fill(store, 1030);
    await store.createRun(sampleRun('asks'));
    await store.finish('asks', { status: 'waiting', waiting: { stepKey: 's', question: 'ok?', value: 1 }, usage });
    const flotilla = createFlotilla({ client: client(), store });
    await flotilla.close();
    const left = await count(store);
    expect({ finished: left['succeeded']! + left['failed']!, waiting: left['waiting'] }).toEqual({ finished: 1000, waiting: 1 });
    // The oldest went: the most recently updated run is still there.
    expect(await store.getRun('old-1029')).toBeDefined();
  });

  it(`applies the policy again after every ${RETENTION_SWEEP_EVERY} finished runs, with no timer`, async () => {
    const store = new InMemoryRunStore();
    const flotilla = createFlotilla({ client: client(), store, retention: { maxRuns: 5 } });
    for (let i = 1; i < RETENTION_SWEEP_EVERY; i++) await flotilla.run(echo, `x${i}`).result;
    expect(await count(store)).toEqual({ succeeded: RETENTION_SWEEP_EVERY - 1 });
    expect((await flotilla.run(echo, 'last').result).status).toBe('succeeded');
    await flotilla.close();
    expect(await count(store)).toEqual({ succeeded: 5 });
  });

  it('retention: false keeps every run; a bad policy is a config error naming the option', async () => {
    const store = new InMemoryRunStore();
    await fill(store, 3);
    await createFlotilla({ client: client(), store, retention: false }).close();
    await createFlotilla({ client: client(), store, retention: { maxAgeMs: 60_000 } }).close();
    expect(await count(store)).toEqual({ succeeded: 2, failed: 1 });
    const e = (() => {
      try {
        createFlotilla({ client: client(), store, retention: { maxRuns: -1 } });
      } catch (x) {
        return x;
      }
    })();
    expect(FlotillaError.is(e, 'config')).toBe(true);
    expect((e as Error).message).toContain('retention');
  });
});
