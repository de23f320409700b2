import type { HumanAnswer, RunHandle } from '@flotilla/core';

/** How a run is started from a request. */
export interface StartRunOptions {
  /** The run's id (AG-UI's `runId`, or the JSON body's); the runner makes one when absent. */
  runId?: string;
}

/** What the gateway knows of a run it no longer holds (from a run store). */
export interface StoredRunView {
  runId: string;
  chain: string;
  status: string;
  output?: unknown;
  error?: unknown;
  waiting?: unknown;
}

/**
 * Starts chains by name for `POST /v1/runs/:chain`: the gateway knows nothing of chain files,
 * the runner does (`flotilla serve --chains <folder>` gives one that loads them from a folder,
 * contained in it). Errors are `FlotillaError`s; `details.status` gives the HTTP status
 * (404 an unknown chain, 403 a name that leaves the folder, 400 an input that does not fit).
 */
export interface ChainRunner {
  start(chain: string, input: unknown, options: StartRunOptions): Promise<RunHandle>;
  /** With a run store: continues a stored run, with the answer to the question it waits on. Absent without a store. */
  resume?(runId: string, options: { answer?: HumanAnswer }): Promise<RunHandle>;
  /** With a run store: the stored run. */
  find?(runId: string): Promise<StoredRunView | undefined>;
}
