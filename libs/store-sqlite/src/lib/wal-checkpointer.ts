import { Worker } from 'node:worker_threads';

/** How often the background checkpointer copies the WAL into the database file. */
export const CHECKPOINT_INTERVAL_MS = 200;

// Runs in its own thread with its own connection: a PASSIVE checkpoint never blocks writers,
// and its fsyncs no longer stall the event loop of the process that journals.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: workerData.busyTimeoutMs });
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  db.close();
  parentPort.close();
});
`;

/**
 * Checkpoints a WAL database from a worker thread, so that the store's own connection can run
 * with automatic checkpoints off: SQLite's automatic checkpoint runs inside the commit that
 * crosses its threshold, and its fsyncs made that commit (one completed call in a few hundred)
 * take milliseconds.
 */
export class WalCheckpointer {
  private readonly worker: Worker;
  private closing: Promise<void> | undefined;

  constructor(file: string, busyTimeoutMs: number, intervalMs = CHECKPOINT_INTERVAL_MS) {
    this.worker = new Worker(WORKER, { eval: true, workerData: { driver: require.resolve('better-sqlite3'), file, busyTimeoutMs, intervalMs } });
    // It never keeps a process alive; a process that exits without closing the store leaves a
    // WAL that the next open checkpoints.
    this.worker.unref();
    this.worker.on('error', () => undefined);
  }

  /** A last checkpoint, then the thread ends. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      // Closing is awaited: the thread now holds the process until it has ended.
      this.worker.ref();
      this.worker.postMessage('close');
    });
    return this.closing;
  }
}
