const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses an Ollama `keep_alive`: a number is seconds; a string is a Go duration with units
 * ("5m", "1h30m", "-1s"); a bare numeric string fails as in Go's time.ParseDuration.
 * Returns milliseconds (negative = forever) or undefined when the value is invalid.
 */
export function parseKeepAlive(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value * 1000;
  if (typeof value !== 'string') return undefined;
  const m = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(value);
  if (value === '0') return 0;
  if (!m) return undefined;
  const sign = value.startsWith('-') ? -1 : 1;
  let total = 0;
  for (const part of value.replace(/^[+-]/, '').matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(part[1]) * UNIT_MS[part[2]!]!;
  }
  return sign * total;
}
