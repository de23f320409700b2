import { FlotillaError } from '../errors/flotilla-error';
import { numberFlag, oneOfFlag, parseFlags, urlFlag } from './parse-flags';

const OPTIONS = { host: { type: 'string' }, json: { type: 'boolean', default: false }, tag: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' } } as const;
const message = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (FlotillaError.is(e, 'config')) return e.message;
    throw e;
  }
  throw new Error('expected a config error');
};

describe('parseFlags', () => {
  it('reads --flag value and --flag=value alike, repeatable flags, positionals and values that start with -', () => {
    const { values, positionals } = parseFlags('cmd', ['a.yaml', '--host', 'h', '--tag=x', '--tag', 'y', '--json', '-h'], OPTIONS);
    expect(values).toEqual({ host: 'h', tag: ['x', 'y'], json: true, help: true });
    expect(positionals).toEqual(['a.yaml']);
    expect(parseFlags('cmd', ['--host', '-5'], OPTIONS).values.host).toBe('-5');
    expect(parseFlags('cmd', ['--host', '-'], OPTIONS).values.host).toBe('-');
    expect(parseFlags('cmd', ['--', '--host'], OPTIONS).positionals).toEqual(['--host']);
  });

  it('refuses unknown flags with the closest known one, missing values and values given to switches, each naming the flag first', () => {
    expect(message(() => parseFlags('cmd', ['--hots', 'h'], OPTIONS))).toBe('--hots: unknown flag for cmd; did you mean --host? (see cmd --help)');
    expect(message(() => parseFlags('cmd', ['--hots=h'], OPTIONS))).toMatch(/^--hots: unknown flag/);
    expect(message(() => parseFlags('cmd', ['-x'], OPTIONS))).toMatch(/^-x: unknown flag for cmd/);
    expect(message(() => parseFlags('cmd', ['--host'], OPTIONS))).toBe('--host: expected a value (see cmd --help)');
    expect(message(() => parseFlags('cmd', ['--host', '--json'], OPTIONS))).toBe('--host: expected a value, got the flag --json (a value that starts with -- is written --host=--json)');
    expect(message(() => parseFlags('cmd', ['--json=yes'], OPTIONS))).toBe('--json: a switch, it takes no value (got "yes")');
    expect(message(() => parseFlags('cmd', ['extra'], OPTIONS, false))).toMatch(/^cmd: /);
  });
});

describe('flag values', () => {
  it('oneOfFlag names the choices and the closest', () => {
    expect(oneOfFlag('--format', 'json', ['text', 'json'])).toBe('json');
    expect(message(() => oneOfFlag('--format', 'jsno', ['text', 'json']))).toBe('--format: expected one of text, json, got "jsno"; did you mean json?');
  });

  it('numberFlag checks the range and whole numbers', () => {
    expect(numberFlag('--n', '2.5')).toBe(2.5);
    expect(message(() => numberFlag('--n', ''))).toBe('--n: expected a number > 0, got ""');
    expect(message(() => numberFlag('--n', '2.5', { integer: true, min: 1, minInclusive: true }))).toBe('--n: expected a whole number >= 1, got "2.5"');
    expect(message(() => numberFlag('--alpha', '1', { max: 1, maxInclusive: false }))).toBe('--alpha: expected a number > 0 and < 1, got "1"');
  });

  it('urlFlag takes http(s) URLs and host:port, and names the port when it is out of range', () => {
    expect(urlFlag('--host', 'http://127.0.0.1:11434')).toBe('http://127.0.0.1:11434');
    expect(urlFlag('--host', '10.0.0.2:11434')).toBe('http://10.0.0.2:11434');
    expect(urlFlag('--host', 'https://[::1]:8080/v1')).toBe('https://[::1]:8080/v1');
    expect(message(() => urlFlag('--host', 'not a url'))).toBe('--host: expected a server URL such as http://127.0.0.1:11434, got "not a url"');
    expect(message(() => urlFlag('--host', 'http://h:0'))).toBe('--host: port 0 is out of range in "http://h:0"; expected a port from 1 to 65535');
    expect(message(() => urlFlag('--host', 'h:99999'))).toBe('--host: port 99999 is out of range in "h:99999"; expected a port from 1 to 65535');
    expect(message(() => urlFlag('--host', 'ftp://h:21'))).toBe('--host: expected an http:// or https:// URL, got "ftp://h:21"');
  });
});
