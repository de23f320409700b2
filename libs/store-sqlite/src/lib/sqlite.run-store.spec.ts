import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { FlotillaError, createFlotilla, defineAgent, defineChain, step } from '@flotilla/core';
import { ScriptedModelClient, describeRunStoreContract, sampleRun } from '@flotilla/core/testing';
import { SqliteRunStore } from './sqlite.run-store';

const dirs: string[] = [];
function tempFile(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-store-'));
  dirs.push(dir);
  return path.join(dir, 'runs.db');
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describeRunStoreContract('SqliteRunStore', { open: () => new SqliteRunStore(tempFile()) });

describe('SqliteRunStore', () => {
  it('keeps the file in WAL mode, and what one store wrote is read by another on the same file', async () => {
    const file = tempFile();
    const a = new SqliteRunStore(file);
    const b = new SqliteRunStore(file, { durability: 'full' });
    await a.createRun(sampleRun('r1'));
    await a.append('r1', { stepKey: 'plan', kind: 'call', output: { x: 1 }, at: 1 }, { promptTokens: 1, completionTokens: 2, modelCalls: 1 });
    expect((await b.readJournal('r1')).map((e) => e.output)).toEqual([{ x: 1 }]);
    expect((await b.getRun('r1'))!.usage).toEqual({ promptTokens: 1, completionTokens: 2, modelCalls: 1 });
    await a.close();
    await b.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    raw.close();
  });

  it('checkpoints the WAL into the database file from its worker thread, not inside a write', async () => {
    const file = tempFile();
    const store = new SqliteRunStore(file);
    await store.createRun(sampleRun('r1'));
    const before = fs.statSync(file).size;
    for (let i = 0; i < 300; i++) await store.append('r1', { stepKey: `s${i}`, kind: 'call', output: 'x'.repeat(2000), at: i }, { promptTokens: i, completionTokens: i, modelCalls: i });
    // The writes go to the WAL (automatic checkpoints are off on the store's connection); the
    // checkpointer copies them into the database file.
    const deadline = Date.now() + 5000;
    while (fs.statSync(file).size < before + 300 * 2000 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(fs.statSync(file).size).toBeGreaterThan(before + 300 * 2000);
    await store.close();
  });

  it('refuses a file written by a newer schema, saying so', () => {
    const file = tempFile();
    const raw = new Database(file);
    raw.pragma('user_version = 2');
    raw.close();
    let error: unknown;
    try {
      new SqliteRunStore(file);
    } catch (e) {
      error = e;
    }
    expect(FlotillaError.is(error, 'config')).toBe(true);
    expect((error as FlotillaError).details).toMatchObject({ reason: 'storeSchemaNewer', found: 2, supported: 1 });
    expect((error as Error).message).toMatch(/schema version 2, newer than this Flotilla reads \(1\).*upgrade Flotilla/);
  });

  it('fails typed when another process holds the lock past the busy timeout', async () => {
    const file = tempFile();
    const store = new SqliteRunStore(file, { busyTimeoutMs: 50 });
    await store.createRun(sampleRun('r1'));
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    const t = performance.now();
    const e = await store.append('r1', { stepKey: 'plan', kind: 'call', output: 1, at: 1 }, { promptTokens: 0, completionTokens: 0, modelCalls: 1 }).catch((x: unknown) => x);
    expect(performance.now() - t).toBeGreaterThanOrEqual(45);
    expect(FlotillaError.is(e, 'overloaded')).toBe(true);
    expect((e as FlotillaError).details).toMatchObject({ reason: 'storeBusy', store: file, waitedMs: 50 });
    other.exec('ROLLBACK');
    // Once the lock is gone, the same write goes through.
    await store.append('r1', { stepKey: 'plan', kind: 'call', output: 1, at: 1 }, { promptTokens: 0, completionTokens: 0, modelCalls: 1 });
    expect((await store.getRun('r1'))!.journaled).toBe(1);
    other.close();
    await store.close();
  });

  it('says what is wrong with a file that is not a store, or a place it cannot open', () => {
    const file = tempFile();
    fs.writeFileSync(file, 'not a database, just text that is long enough to have a header '.repeat(20));
    expect(() => new SqliteRunStore(file)).toThrow(/not a Flotilla run store/);
    expect(() => new SqliteRunStore(path.join(file, 'nested', 'runs.db'))).toThrow(/cannot open it/);
    expect(() => new SqliteRunStore(tempFile(), { durability: 'fast' as 'full' })).toThrow(/durability: expected 'normal' or 'full'/);
  });

  it('is what createFlotilla opens for a file path, and closes with it', async () => {
    const file = tempFile();
    const echo = defineAgent({ name: 'echo', model: 'm', prompt: (t: string) => t });
    const flotilla = createFlotilla({ client: new ScriptedModelClient((r) => `echo ${r.messages[0]!.content}`), store: file });
    const result = await flotilla.run(defineChain('echo', step.call(echo, { id: 'say' })), 'hi', { runId: 'r-path' }).result;
    expect(result.status).toBe('succeeded');
    await flotilla.close();
    const store = new SqliteRunStore(file);
    expect(await store.getRun('r-path')).toMatchObject({ chain: 'echo', status: 'succeeded', output: 'echo hi', journaled: 1 });
    expect((await store.readJournal('r-path'))[0]).toMatchObject({ stepKey: 'say', output: 'echo hi', call: { agent: 'echo', model: 'm' } });
    await store.close();
  });
});
