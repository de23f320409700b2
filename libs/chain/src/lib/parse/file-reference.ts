import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/**
 * Where a chain file's `file:` reference points, kept inside the chain's folder: a shared
 * chain must not read arbitrary local files into a prompt that goes to a model server. The
 * reference must resolve (after `..` segments and symbolic links) inside `baseDir` or one
 * of `allowDirs`, which the user names explicitly. An absolute path is refused unless it is
 * inside an allowed folder. A file that does not exist yet is not an escape (reading it
 * reports it missing).
 */
export async function resolveFileReference(ref: string, baseDir: string, allowDirs: readonly string[] = []): Promise<{ file: string } | { problem: string; hint: string }> {
  const base = path.resolve(baseDir);
  const allowed = allowDirs.map((d) => path.resolve(d));
  const hint = `keep referenced files in the chain's folder or a subfolder, or allow another folder explicitly (flotilla --allow-dir <dir>; loadChain's allowDirs)`;
  const file = path.resolve(base, ref);
  if (path.isAbsolute(ref) && !allowed.some((d) => inside(file, d))) {
    return { problem: `"${ref}" is an absolute path; file: references are relative to the chain file's folder (${base})`, hint };
  }
  if (![base, ...allowed].some((d) => inside(file, d))) {
    return { problem: `"${ref}" resolves to ${file}, outside the chain's folder (${base})`, hint };
  }
  const real = await realpathOrUndefined(file);
  if (real === undefined) return { file };
  const roots = await Promise.all([base, ...allowed].map(async (d) => (await realpathOrUndefined(d)) ?? d));
  if (!roots.some((d) => inside(real, d))) {
    return { problem: `"${ref}" is a symbolic link (or lies under one) that points outside the chain's folder, to ${real}`, hint };
  }
  return { file };
}

function inside(child: string, root: string): boolean {
  const rel = path.relative(root, child);
  return rel === '' || (rel.split(path.sep)[0] !== '..' && !path.isAbsolute(rel));
}

async function realpathOrUndefined(p: string): Promise<string | undefined> {
  try {
    return await fs.realpath(p);
  } catch {
    return undefined;
  }
}
