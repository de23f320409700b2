// The benchmarks' `flotilla serve` child process: from source (through tools/scripts/run-ts.cjs)
// or from the compiled build (dist/, after `npx nx run-many -t build`).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '../../..');
const DIST = join(ROOT, 'dist');
const CLI_MAIN = join(DIST, 'apps/cli/src/main.js');

/**
 * Makes the built packages resolvable from dist/ as an install would: dist/node_modules/<name>
 * links to each package's folder (its package.json name), so dist/apps/cli/src/main.js loads
 * @flotilla/* from dist, and third-party dependencies from the workspace's node_modules.
 */
function linkDist(): void {
  if (!existsSync(CLI_MAIN)) throw new Error(`${relative(ROOT, CLI_MAIN)} is missing: build first (npx nx run-many -t build)`);
  const packages: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (existsSync(join(dir, 'package.json'))) return void packages.push(dir);
    if (depth === 0) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory() && e.name !== 'node_modules') walk(join(dir, e.name), depth - 1);
  };
  walk(join(DIST, 'libs'), 2);
  walk(join(DIST, 'apps'), 1);
  for (const dir of packages) {
    const name = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }).name;
    const link = join(DIST, 'node_modules', name);
    if (existsSync(link)) continue;
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(relative(dirname(link), dir), link, 'dir');
  }
}

/** Starts `flotilla serve <args>` on a free port and waits (bounded) for its URL. */
export async function startServe(args: readonly string[], options: { dist?: boolean; env?: NodeJS.ProcessEnv } = {}): Promise<{ url: string; child: ChildProcess }> {
  if (options.dist) linkDist();
  const cli = options.dist ? [CLI_MAIN] : ['tools/scripts/run-ts.cjs', 'apps/cli/src/main.ts'];
  const child = spawn(process.execPath, [...cli, 'serve', ...args, '--port', '0'], { cwd: ROOT, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((res, rej) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`flotilla serve did not start within 60 s: ${err}`));
    }, 60_000);
    child.stdout!.on('data', (d) => {
      out += String(d);
      const m = /flotilla gateway on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(m[1]!);
      }
    });
    child.stderr!.on('data', (d) => (err += String(d)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      rej(new Error(`flotilla serve exited (${code}): ${err}`));
    });
  });
  return { url, child };
}
