import type { ModelClient } from '@flotilla/core';

export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream;
  env: NodeJS.ProcessEnv;
  /** Aborting cancels the run and its in-flight requests (the binary wires Ctrl-C to it). */
  signal?: AbortSignal;
  /** Tests: the model client to run on instead of one built from the flags. */
  client?: ModelClient;
}
