import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../../..');

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** npm settings a machine or CI may give through the environment (registry mirror, cache, proxy, headers for native rebuilds): kept. */
const KEPT_NPM_CONFIG = /^npm_config_(registry|cache|userconfig|nodedir|proxy|https_proxy|noproxy|strict_ssl|cafile|prefer_offline|offline)$/i;

/**
 * The environment of a process in a scratch project: the `node` running this test first on
 * PATH (CI runs each Node version's binary this way), and nothing that points back into the
 * repository (NODE_PATH, the npm_* variables npm sets when jest runs under `npm test`, but for
 * the machine-wide settings above).
 */
export function scratchEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(npm_|NODE_PATH$|NODE_OPTIONS$|INIT_CWD$|NX_|SWC_)/i.test(k) || KEPT_NPM_CONFIG.test(k)) env[k] = v;
  env['PATH'] = `${path.dirname(process.execPath)}${path.delimiter}${process.env['PATH'] ?? ''}`;
  return { ...env, ...extra };
}

/** Runs a command to its end (or its deadline), collecting its output. */
export function run(command: string, args: readonly string[], cwd: string, options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: scratchEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${String(e)}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `{ code, output }` where output is the last lines only when the command failed: a readable diff in failures. */
export function outcome(r: Ran): { code: number | null; output: string } {
  return { code: r.code, output: r.code === 0 ? '' : `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-15).join('\n') };
}

export interface PackedPackage {
  /** The project root in the repository (libs/core). */
  root: string;
  name: string;
  tarball: string;
  /** Paths inside the tarball, relative to its package folder. */
  files: string[];
  pkg: PackageJson;
}

export interface PackageJson {
  name: string;
  version: string;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  exports?: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** `npm pack` of a built package (dist/<root>) into `dest`. */
export async function pack(root: string, dest: string): Promise<PackedPackage> {
  const dir = path.join(REPO_ROOT, 'dist', root);
  const r = await run('npm', ['pack', '--json', '--pack-destination', dest], dir, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`npm pack of dist/${root} failed:\n${r.stderr}`);
  const [info] = JSON.parse(r.stdout) as { name: string; filename: string; files: { path: string }[] }[];
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  return { root, name: info!.name, tarball: path.join(dest, info!.filename), files: info!.files.map((f) => f.path).sort(), pkg };
}

/** The packages `names` need, themselves included: npm must find every @flotilla/* dependency among the local tarballs. */
export function withLocalDependencies(names: readonly string[], packed: readonly PackedPackage[]): PackedPackage[] {
  const byName = new Map(packed.map((p) => [p.name, p]));
  const out = new Map<string, PackedPackage>();
  const visit = (name: string) => {
    const p = byName.get(name);
    if (!p) throw new Error(`${name} is not among the packed packages`);
    if (out.has(name)) return;
    out.set(name, p);
    for (const dep of Object.keys(p.pkg.dependencies ?? {})) if (dep.startsWith('@flotilla/')) visit(dep);
  };
  names.forEach(visit);
  return [...out.values()];
}

/** A scratch project: its own package.json, then `npm install` of local tarballs (the registry only for third-party packages). */
export async function scratchProject(dir: string, packageJson: Record<string, unknown>, tarballs: readonly string[], thirdParty: readonly string[] = []): Promise<Ran> {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify({ private: true, version: '0.0.0', ...packageJson }, null, 2)}\n`);
  return run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs, ...thirdParty], dir, { timeoutMs: 300_000 });
}

/** Every installed package under a node_modules folder (nested ones too), by name, with its folder. */
export function installedPackages(nodeModules: string): { name: string; dir: string }[] {
  const out: { name: string; dir: string }[] = [];
  if (!fs.existsSync(nodeModules)) return out;
  for (const entry of fs.readdirSync(nodeModules)) {
    if (entry.startsWith('.')) continue;
    const dirs = entry.startsWith('@') ? fs.readdirSync(path.join(nodeModules, entry)).map((s) => `${entry}/${s}`) : [entry];
    for (const name of dirs) {
      const dir = path.join(nodeModules, name);
      out.push({ name, dir });
      out.push(...installedPackages(path.join(dir, 'node_modules')));
    }
  }
  return out;
}

/** A package that builds or ships native code: a binding.gyp, a prebuilt .node file, or an install script. */
export function isNative(dir: string): boolean {
  if (fs.existsSync(path.join(dir, 'binding.gyp'))) return true;
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { gypfile?: boolean; scripts?: Record<string, string> };
  if (pkg.gypfile || pkg.scripts?.['install'] || pkg.scripts?.['preinstall'] || pkg.scripts?.['postinstall']) return true;
  const walk = (d: string): boolean =>
    fs.readdirSync(d, { withFileTypes: true }).some((e) => (e.isDirectory() ? e.name !== 'node_modules' && walk(path.join(d, e.name)) : e.name.endsWith('.node')));
  return walk(dir);
}
