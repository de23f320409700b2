import { FlotillaError, describeValue } from '@flotilla/core';
import { DEFAULT_MAX_BYTES, chainInvalid, parseDataText, readSourceText } from '@flotilla/chain';

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

/**
 * The run input from flags, a file or stdin. Exactly one source; `config` errors name the
 * flag, or the file with line:col. Files get the chain files' limits: the same size cap,
 * binary content refused (never echoed), YAML read with the alias and nesting limits.
 */
export async function readInput(src: InputSources, stdin: NodeJS.ReadableStream): Promise<unknown> {
  const given = [src.input !== undefined, src.inputFile !== undefined, (src.set?.length ?? 0) > 0].filter(Boolean).length;
  if (given > 1) throw new FlotillaError('config', '--input, --input-file and --set: expected one of them, got several', { details: { flag: '--input' } });
  if (src.set?.length) {
    const out: Record<string, unknown> = {};
    for (const pair of src.set) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new FlotillaError('config', `--set ${pair}: expected key=value`, { details: { flag: '--set' } });
      // A value that does not parse as JSON is text: `--set title=[draft] notes` means the words.
      out[pair.slice(0, eq)] = jsonOrText(pair.slice(eq + 1));
    }
    return out;
  }
  if (src.inputFile !== undefined) {
    const file = src.inputFile;
    const read = await readSourceText(file, 'input file');
    if ('diagnostic' in read) throw chainInvalid([read.diagnostic]);
    if (/\.ya?ml$/i.test(file)) return parseDataText(read.text, file);
    if (/\.json$/i.test(file)) return parseDataText(read.text, file, { json: true });
    return textInput('--input-file', read.text.replace(/\r?\n$/, ''), src.wantsString, file);
  }
  if (src.input === '-') return textInput('--input -', (await readAll(stdin)).replace(/\r?\n$/, ''), src.wantsString);
  if (src.input !== undefined) return textInput('--input', src.input, src.wantsString);
  return undefined;
}

/**
 * Text that looks like JSON (starts with `{`, `[` or `"`, or is a number, true, false,
 * null) is JSON; text that starts like an object, list or string but does not parse is an
 * error, not silently a string, unless the chain's input schema says string.
 */
function textInput(flag: string, text: string, wantsString: boolean, file?: string): unknown {
  if (wantsString) return text;
  const t = text.trim();
  if (/^-?\d[\d.eE+-]*$|^(true|false|null)$/.test(t)) return jsonOrText(t);
  if (!/^[[{"]/.test(t)) return text;
  try {
    return JSON.parse(t) as unknown;
  } catch (e) {
    const where = file ? `${file}:1:1` : flag;
    throw new FlotillaError(
      'config',
      `${where}: the input starts like JSON (${describeValue(t.slice(0, 20))}...) but is not valid JSON (${(e as Error).message}); fix the JSON, or give the chain an input schema of type: string to pass it as text`,
      { details: { flag } },
    );
  }
}

function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      size += b.length;
      if (size > DEFAULT_MAX_BYTES) throw new FlotillaError('config', `--input -: stdin is larger than ${DEFAULT_MAX_BYTES} bytes (the limit input files have)`, { details: { flag: '--input' } });
      chunks.push(b);
    }
  } catch (e) {
    if (FlotillaError.is(e)) throw e;
    throw new FlotillaError('config', `--input -: cannot read stdin (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e, details: { flag: '--input' } });
  }
  const bytes = Buffer.concat(chunks);
  if (bytes.includes(0)) throw new FlotillaError('config', '--input -: stdin holds binary content (a NUL byte); expected text or JSON', { details: { flag: '--input' } });
  return bytes.toString('utf8');
}
