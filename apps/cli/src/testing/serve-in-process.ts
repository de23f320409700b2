import { PassThrough, Readable } from 'node:stream';
import { main } from '../main';

/**
 * `flotilla serve` in this process, its output readable while it runs: `url` resolves with the
 * address it prints, `stop()` is what SIGTERM does, `code` is the command's exit code.
 */
export function serveInProcess(args: string[], env: NodeJS.ProcessEnv = {}) {
  const controller = new AbortController();
  const stdout = Object.assign(new PassThrough(), { isTTY: false });
  const stderr = Object.assign(new PassThrough(), { isTTY: false });
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += String(d)));
  stderr.on('data', (d) => (err += String(d)));
  const code = main(['serve', ...args], { stdout, stderr, stdin: Readable.from(['']), env, signal: controller.signal });
  const url = new Promise<string>((resolve, reject) => {
    const t = setInterval(() => {
      const m = /flotilla gateway on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearInterval(t);
        resolve(m[1]!);
      }
    }, 10);
    void code.then(() => {
      clearInterval(t);
      reject(new Error(`serve ended: ${err}`));
    });
  });
  url.catch(() => undefined); // a command that ends before listening is checked through its code
  return { code, url, stop: () => controller.abort(new Error('interrupted (SIGTERM)')), output: () => ({ out, err }), stderr: () => err };
}
