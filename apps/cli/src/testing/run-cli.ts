import { PassThrough, Readable } from 'node:stream';
import type { ModelClient } from '@flotilla/core';
import { main } from '../main';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Pretend stdout is a terminal (progress instead of JSON lines). */
  tty?: boolean;
  stdin?: string;
  client?: ModelClient;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

/** Runs `flotilla <args>` in this process (the real main), capturing its output: for specs. */
export async function runCli(args: string[], opts: CliRunOptions = {}): Promise<CliRun> {
  const stdout = Object.assign(new PassThrough(), { isTTY: opts.tty ?? false });
  const stderr = Object.assign(new PassThrough(), { isTTY: false });
  const out: string[] = [];
  const err: string[] = [];
  stdout.on('data', (d) => out.push(String(d)));
  stderr.on('data', (d) => err.push(String(d)));
  const code = await main(args, { stdout, stderr, stdin: Readable.from([opts.stdin ?? '']), env: opts.env ?? {}, client: opts.client, signal: opts.signal });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
