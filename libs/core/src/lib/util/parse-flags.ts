import { type ParseArgsConfig, parseArgs } from 'node:util';
import { FlotillaError } from '../errors/flotilla-error';
import { closestName } from './closest-name';

type FlagOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * A command line parsed with node:util `parseArgs` (strict, `--flag value` and
 * `--flag=value` alike), every mistake a `config` FlotillaError whose first words are the
 * flag: an unknown flag with the closest known one, a flag without its value, a value
 * given to a switch. The one parser of every Flotilla command (flotilla run, validate,
 * models, report, the demo), so all of them read and refuse the same way.
 */
export function parseFlags<O extends FlagOptions>(
  command: string,
  args: readonly string[],
  options: O,
  allowPositionals = true,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>> {
  const normalized = checkFlags(command, args, options);
  try {
    return parseArgs({ args: normalized, options, allowPositionals, strict: true });
  } catch (cause) {
    // What the scan above lets through (a value that starts with "-", an extra positional): node's own words.
    throw new FlotillaError('config', `${command}: ${(cause as Error).message} (see ${command} --help)`, { cause });
  }
}

/** Refuses unknown flags and missing values; returns the arguments with `--flag -5` joined as `--flag=-5` (node would refuse it as ambiguous). */
function checkFlags(command: string, args: readonly string[], options: FlagOptions): string[] {
  const out: string[] = [];
  const shorts = new Map(Object.entries(options).filter(([, o]) => o.short).map(([name, o]) => [o.short!, name]));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    out.push(arg);
    if (arg === '--') return [...out, ...args.slice(i + 1)];
    if (!arg.startsWith('-') || arg === '-') continue;
    const long = arg.startsWith('--');
    const eq = arg.indexOf('=');
    const name = long ? arg.slice(2, eq >= 0 ? eq : undefined) : shorts.get(arg.slice(1, 2));
    const option = name === undefined ? undefined : options[name];
    if (!option || (!long && arg.length > 2 && option.type === 'boolean')) {
      const given = long ? `--${arg.slice(2, eq >= 0 ? eq : undefined)}` : arg;
      const guess = closestName(given.replace(/^-+/, ''), Object.keys(options));
      throw new FlotillaError('config', `${given}: unknown flag for ${command}${guess ? `; did you mean --${guess}?` : ''} (see ${command} --help)`, { details: { flag: given } });
    }
    if (option.type === 'boolean') {
      if (long && eq >= 0) throw new FlotillaError('config', `--${name}: a switch, it takes no value (got "${arg.slice(eq + 1)}")`, { details: { flag: `--${name}` } });
      continue;
    }
    const inline = long ? eq >= 0 : arg.length > 2;
    if (inline) continue;
    const next = args[i + 1];
    if (next === undefined || (next.startsWith('--') && next !== '--')) {
      const hint = next === undefined ? `see ${command} --help` : `a value that starts with -- is written --${name}=${next}`;
      throw new FlotillaError('config', `--${name}: expected a value${next === undefined ? '' : `, got the flag ${next}`} (${hint})`, { details: { flag: `--${name}` } });
    }
    if (long && next.startsWith('-')) out[out.length - 1] = `${arg}=${next}`;
    else out.push(next);
    i++;
  }
  return out;
}

/** A flag value that must be one of a few words. */
export function oneOfFlag<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  const guess = closestName(value, allowed);
  throw new FlotillaError('config', `${flag}: expected one of ${allowed.join(', ')}, got "${value}"${guess ? `; did you mean ${guess}?` : ''}`, { details: { flag } });
}

export interface NumberFlagOptions {
  /** Smallest value allowed. @default above 0 */
  min?: number;
  /** Whether `min` itself is allowed. @default false */
  minInclusive?: boolean;
  /** Largest value allowed. */
  max?: number;
  /** Whether `max` itself is allowed. @default true */
  maxInclusive?: boolean;
  /** Whole numbers only. @default false */
  integer?: boolean;
}

/** A numeric flag value, in range; the message says the range. */
export function numberFlag(flag: string, raw: string, options: NumberFlagOptions = {}): number {
  const { min = 0, minInclusive = false, max, maxInclusive = true, integer = false } = options;
  const n = raw.trim() === '' ? NaN : Number(raw);
  const ok = Number.isFinite(n) && (minInclusive ? n >= min : n > min) && (max === undefined || (maxInclusive ? n <= max : n < max)) && (!integer || Number.isInteger(n));
  if (ok) return n;
  const range = `${minInclusive ? '>=' : '>'} ${min}${max === undefined ? '' : ` and ${maxInclusive ? '<=' : '<'} ${max}`}`;
  throw new FlotillaError('config', `${flag}: expected a ${integer ? 'whole ' : ''}number ${range}, got "${raw}"`, { details: { flag } });
}

/**
 * A server address flag: an http(s) URL (a bare `host:port` gets `http://`), with a
 * port in 1..65535. The message names the flag, the value and what was expected.
 */
export function urlFlag(flag: string, raw: string): string {
  const text = raw.trim();
  const withScheme = text.includes('://') ? text : `http://${text}`;
  const port = /^[a-z][a-z0-9+.-]*:\/\/(?:\[[^\]]*\]|[^/:?#]*):(\d+)(?:[/?#]|$)/i.exec(withScheme)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    throw new FlotillaError('config', `${flag}: port ${port} is out of range in "${raw}"; expected a port from 1 to 65535`, { details: { flag } });
  }
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new FlotillaError('config', `${flag}: expected a server URL such as http://127.0.0.1:11434, got "${raw}"`, { details: { flag } });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FlotillaError('config', `${flag}: expected an http:// or https:// URL, got "${raw}"`, { details: { flag } });
  }
  if (!url.hostname) throw new FlotillaError('config', `${flag}: expected a host name in "${raw}"`, { details: { flag } });
  return text.includes('://') ? text : withScheme;
}
