import * as fs from 'node:fs/promises';
import type { ChainDiagnostic } from './chain-diagnostic';
import { type SourceLimits, resolveSourceLimits } from './source-limits';

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Reads a file a user hands to Flotilla (a chain file, a `.prompt` file, a run input) as
 * text, refusing before anything is parsed or echoed: a missing file or a directory, a
 * file over the size limit, binary content (a NUL byte, or bytes that are not UTF-8).
 * `what` names the file in messages ("chain file", "prompt file", "input file").
 */
export async function readSourceText(file: string, what: string, limits?: SourceLimits): Promise<{ text: string } | { diagnostic: ChainDiagnostic }> {
  const lim = resolveSourceLimits(limits);
  const problem = (code: string, message: string, hint?: string) => ({ diagnostic: { file, line: 1, col: 1, severity: 'error' as const, code, message, hint } });
  let bytes: Buffer;
  try {
    const stat = await fs.stat(file);
    if (stat.isDirectory()) return problem('missingFile', `cannot read the ${what}: it is a directory`, `name a file inside it`);
    // A device or a pipe (/dev/zero, /dev/stdin) has no size to check and may never end.
    if (!stat.isFile()) return problem('missingFile', `cannot read the ${what}: it is not a regular file (a device, pipe or socket)`, 'name a file; pass stdin with --input -');
    if (stat.size > lim.maxBytes) return problem('tooLarge', `${what} is ${stat.size} bytes; expected at most ${lim.maxBytes}`, 'split it, or raise the limit (maxBytes) if the file is trusted');
    bytes = await fs.readFile(file);
  } catch (e) {
    return problem('missingFile', `cannot read the ${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const nul = bytes.indexOf(0);
  let text: string | undefined;
  if (nul < 0) {
    try {
      text = UTF8.decode(bytes);
    } catch {
      text = undefined;
    }
  }
  if (text === undefined) {
    return problem('binary', `the ${what} is binary (${nul >= 0 ? `a NUL byte at offset ${nul}` : 'bytes that are not UTF-8 text'}); expected a UTF-8 text file`, 'check the path: this looks like an image, archive or compiled file');
  }
  return { text: text.charCodeAt(0) === 0xfeff ? text.slice(1) : text };
}
