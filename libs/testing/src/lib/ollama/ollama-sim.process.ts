import { spawn } from 'node:child_process';
import { WORKSPACE_ROOT } from '../llama-server/llama-server.binary';

/** The Ollama simulator's command line, as a child process runs it (cwd: `WORKSPACE_ROOT`). */
export function ollamaSimCommand(port: number, args: readonly string[] = []): string[] {
  return [process.execPath, 'tools/scripts/run-ts.cjs', 'libs/testing/src/bin/ollama-sim.ts', '--port', String(port), ...args];
}

/** The simulator as a child process, for tests that kill a server for real (kill -9, restart). */
export interface OllamaSimProcess {
  url: string;
  pid: number;
  /** Sends `signal` (default SIGKILL) if it still runs, and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the simulator's CLI as a child process and waits (bounded) for the URL it prints. */
export async function spawnOllamaSim(port: number, args: readonly string[] = [], timeoutMs = 20_000): Promise<OllamaSimProcess> {
  const [cmd, ...rest] = ollamaSimCommand(port, args);
  const child = spawn(cmd!, rest, { cwd: WORKSPACE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`ollama-sim did not start within ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /http:\/\/\S+/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[0]);
      }
    });
    child.stderr!.on('data', (d) => (err += String(d)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`ollama-sim exited (${code}): ${err}`));
    });
  });
  return {
    url,
    pid: child.pid!,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
