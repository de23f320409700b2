import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { freePort } from '@flotilla/testing';
import { pollUntil } from './llama-server.probes';

export interface LlamaServerOptions {
  /** Path of the llama-server binary (see `ensureLlamaServerBinary`). */
  binary: string;
  /** GGUF file to serve. */
  model: string;
  /** Parallel slots (`-np`). @default 2 */
  slots?: number;
  /** Total context (`-c`), shared by the slots. @default 4096 */
  ctx?: number;
  /** Generation threads (`-t`); one is fastest for tiny models on small machines. @default 1 */
  threads?: number;
  /** Tokens a request generates when it sets no max_tokens (`-n`). @default -1 (until stop or context end) */
  defaultMaxTokens?: number;
  /** Further command-line arguments. @default [] */
  extraArgs?: readonly string[];
  /** How long to wait for `/health` to answer 200. @default 30000 */
  readyTimeoutMs?: number;
}

/**
 * Runs the server under `sh` as a watchdog: when the Node process goes away (even by SIGKILL) the
 * watchdog's stdin closes and it kills the server, so no server outlives its test run.
 */
const WATCHDOG = 'exec 3<&0; "$@" </dev/null & p=$!; echo "watchdog: server pid $p" >&2; (cat <&3 >/dev/null; kill $p 2>/dev/null) & wait $p';

/** A server that did not come up; `portTaken` when its port was grabbed between probe and bind. */
class StartFailure extends Error {
  constructor(
    readonly portTaken: boolean,
    message: string,
  ) {
    super(message);
  }
}

const running = new Set<LlamaServerProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const server of running) server.killNow('SIGKILL');
  });
}

/** A llama-server child process on 127.0.0.1 and a free port. */
export class LlamaServerProcess {
  readonly baseURL: string;
  #log = '';
  #serverPid: number | undefined;
  #exited: Promise<number | null>;
  #exitCode: number | null | undefined = undefined;

  private constructor(
    readonly port: number,
    readonly args: readonly string[],
    private readonly child: ChildProcessWithoutNullStreams,
  ) {
    this.baseURL = `http://127.0.0.1:${port}`;
    const collect = (d: Buffer) => {
      this.#log += d.toString();
      if (this.#serverPid === undefined) {
        const m = /watchdog: server pid (\d+)/.exec(this.#log);
        if (m) this.#serverPid = Number(m[1]);
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    this.#exited = new Promise((resolve) =>
      child.on('exit', (code) => {
        this.#exitCode = code;
        running.delete(this);
        resolve(code);
      }),
    );
  }

  /**
   * Starts a server and waits until `/health` says it is ready; throws with the log tail if it
   * is not. Tries another port when the free one was taken in the meantime.
   */
  static async start(options: LlamaServerOptions): Promise<LlamaServerProcess> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await LlamaServerProcess.startOnce(options, await freePort());
      } catch (e) {
        if (attempt >= 3 || !(e instanceof StartFailure && e.portTaken)) throw e;
      }
    }
  }

  private static async startOnce(options: LlamaServerOptions, port: number): Promise<LlamaServerProcess> {
    const args = [
      '-m', options.model,
      '--host', '127.0.0.1',
      '--port', String(port),
      '-np', String(options.slots ?? 2),
      '-c', String(options.ctx ?? 4096),
      '-t', String(options.threads ?? 1),
      '-tb', String(options.threads ?? 1),
      '-n', String(options.defaultMaxTokens ?? -1),
      '--metrics',
      '--slots',
      '--no-warmup',
      ...(options.extraArgs ?? []),
    ];
    const child = spawn('sh', ['-c', WATCHDOG, 'llama-server-watchdog', options.binary, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const server = new LlamaServerProcess(port, args, child);
    running.add(server);
    installExitHook();
    const ready = await pollUntil(async () => {
      if (server.#exitCode !== undefined) return true;
      try {
        const res = await fetch(`${server.baseURL}/health`);
        await res.arrayBuffer();
        return res.status === 200;
      } catch {
        return false;
      }
    }, options.readyTimeoutMs ?? 30_000, 50);
    if (!ready || server.#exitCode !== undefined) {
      await server.stop();
      throw new StartFailure(
        /couldn't bind/.test(server.log),
        `llama-server did not become ready (${ready ? `exited with ${server.#exitCode}` : 'timed out'}); args: ${args.join(' ')}\n${server.log.slice(-3000)}`,
      );
    }
    return server;
  }

  /** Everything the server printed so far. */
  get log(): string {
    return this.#log;
  }

  /** The llama-server process id (not the watchdog's). */
  get pid(): number | undefined {
    return this.#serverPid;
  }

  get exited(): boolean {
    return this.#exitCode !== undefined;
  }

  /** Sends a signal to the server process itself (the watchdog then exits too). */
  killNow(signal: NodeJS.Signals): void {
    if (this.#serverPid === undefined || this.exited) return;
    try {
      process.kill(this.#serverPid, signal);
    } catch {
      // already gone
    }
  }

  /** Stops the server: asks the watchdog (SIGTERM), then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    // Closing the watchdog's stdin makes it kill the server (and lets it exit after a SIGKILL test).
    this.child.stdin.end();
    if (!this.exited) {
      const timer = setTimeout(() => this.killNow('SIGKILL'), graceMs);
      await this.#exited;
      clearTimeout(timer);
    }
    running.delete(this);
  }
}
