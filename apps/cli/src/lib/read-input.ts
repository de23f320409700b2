import * as fs from 'node:fs/promises';
import { FlotillaError } from '@flotilla/core';

export interface InputSources {
  /** `--input <text|json>`; `-` reads stdin. */
  input?: string;
  /** `--input-file <file>` (JSON or YAML by extension, else text). */
  inputFile?: string;
  /** `--set key=value`, repeatable: builds an object (values parsed as JSON when they parse). */
  set?: string[];
  /** Whether the chain's input schema says string: then text is never parsed as JSON. */
  wantsString: boolean;
}

/** The run input from flags, a file or stdin. Exactly one source; `config` errors name the flag. */
export async function readInput(src: InputSources, stdin: NodeJS.ReadableStream): Promise<unknown> {
  const given = [src.input !== undefined, src.inputFile !== undefined, (src.set?.length ?? 0) > 0].filter(Boolean).length;
  if (given > 1) throw new FlotillaError('config', '--input, --input-file and --set: expected one of them, got several');
  if (src.set?.length) {
    const out: Record<string, unknown> = {};
    for (const pair of src.set) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new FlotillaError('config', `--set ${pair}: expected key=value`);
      out[pair.slice(0, eq)] = parseMaybeJson(pair.slice(eq + 1), false);
    }
    return out;
  }
  if (src.inputFile !== undefined) {
    let text: string;
    try {
      text = await fs.readFile(src.inputFile, 'utf8');
    } catch (e) {
      throw new FlotillaError('config', `--input-file ${src.inputFile}: cannot read it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (/\.ya?ml$/i.test(src.inputFile)) return (await import('yaml')).parse(text, { maxAliasCount: 100 });
    if (/\.json$/i.test(src.inputFile)) {
      try {
        return JSON.parse(text);
      } catch (e) {
        throw new FlotillaError('config', `--input-file ${src.inputFile}: not valid JSON: ${(e as Error).message}`);
      }
    }
    return parseMaybeJson(text.replace(/\r?\n$/, ''), src.wantsString);
  }
  if (src.input === '-') return parseMaybeJson((await readAll(stdin)).replace(/\r?\n$/, ''), src.wantsString);
  if (src.input !== undefined) return parseMaybeJson(src.input, src.wantsString);
  return undefined;
}

function parseMaybeJson(text: string, wantsString: boolean): unknown {
  if (wantsString) return text;
  const t = text.trim();
  if (/^[[{"]|^-?\d|^(true|false|null)$/.test(t)) {
    try {
      return JSON.parse(t);
    } catch {
      return text;
    }
  }
  return text;
}

const MAX_STDIN = 16 * 1024 * 1024;

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_STDIN) throw new FlotillaError('config', `--input -: stdin is larger than ${MAX_STDIN} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}
