import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The workspace root (this file is libs/testing/src/lib/llama-server/). */
export const WORKSPACE_ROOT = resolve(__dirname, '../../../../..');
export const BUILD_SCRIPT = join(WORKSPACE_ROOT, 'tools/llama-server/build.sh');
/** What to run when cmake or g++ is missing (tools/setup-system.sh installs them). */
export const SETUP_LINE = 'bash tools/setup-system.sh';
/** A build from scratch takes minutes on 2 cores; a cached binary returns in well under a second. */
export const BUILD_TIMEOUT_MS = 14 * 60_000;

/**
 * The path of the llama-server binary for the llama.cpp commit node-llama-cpp ships: runs
 * tools/llama-server/build.sh, which returns the cached binary or builds and caches it. Never
 * resolves to "skip": a missing toolchain is an error that names the setup line.
 */
export function ensureLlamaServerBinary(timeoutMs = BUILD_TIMEOUT_MS): Promise<string> {
  return new Promise((resolvePath, reject) => {
    const child = spawn('bash', [BUILD_SCRIPT], { cwd: WORKSPACE_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: process.env });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new Error(`tools/llama-server/build.sh did not finish within ${timeoutMs} ms\n${err.slice(-2000)}`));
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      // Progress for whoever watches a first, slow run.
      process.stderr.write(d);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run tools/llama-server/build.sh (${e.message}). Install the system packages with: ${SETUP_LINE}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const path = out.trim().split('\n').pop() ?? '';
      if (code === 0 && path && existsSync(path)) return resolvePath(path);
      const hint = err.includes(SETUP_LINE) ? '' : `\nIf cmake or g++ is missing, install the system packages with: ${SETUP_LINE}`;
      reject(new Error(`tools/llama-server/build.sh failed (exit ${code}):\n${err.slice(-4000)}${hint}`));
    });
  });
}
