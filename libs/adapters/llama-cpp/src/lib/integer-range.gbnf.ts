/**
 * GBNF alternatives that match exactly the decimal integers in [min, max] (min >= 0), with
 * no leading zeros: the range is split where digit patterns change (the to-regex-range
 * method), e.g. [7, 123] -> [7-9] | [1-9][0-9] | "1" [0-1][0-9] | "12" [0-3].
 */
export function naturalRangeGbnf(min: number, max: number): string {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || min > max) throw new RangeError(`bad range [${min}, ${max}]`);
  return splitRange(min, max)
    .map(([a, b]) => digitPattern(String(a), String(b)))
    .join(' | ');
}

function splitRange(min: number, max: number): [number, number][] {
  const stops = new Set<number>([max]);
  for (let nines = 1; ; nines++) {
    const stop = fillNines(min, nines);
    if (stop < min || stop > max) break;
    stops.add(stop);
  }
  for (let zeros = 1; ; zeros++) {
    const stop = dropDigits(max + 1, zeros) - 1;
    if (stop < min || stop > max) break;
    stops.add(stop);
  }
  const sorted = [...stops].sort((a, b) => a - b);
  const out: [number, number][] = [];
  let start = min;
  for (const stop of sorted) {
    if (stop < start) continue;
    out.push([start, stop]);
    start = stop + 1;
  }
  return out;
}

/** `n` with its last `count` digits set to 9 (19 -> 99 for count 2 when n has 2 digits). */
function fillNines(n: number, count: number): number {
  const s = String(n);
  if (count > s.length) return Number('9'.repeat(count));
  return Number(s.slice(0, s.length - count) + '9'.repeat(count));
}

function dropDigits(n: number, count: number): number {
  return n - (n % 10 ** count);
}

/** a and b have the same length; where their digits differ the rest spans 0-9 fully. */
function digitPattern(a: string, b: string): string {
  if (a.length !== b.length) throw new RangeError(`unsplit range ${a}..${b}`);
  const parts: string[] = [];
  let literal = '';
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) {
      literal += a[i];
      continue;
    }
    if (literal) parts.push(`"${literal}"`);
    literal = '';
    parts.push(`[${a[i]}-${b[i]}]`);
  }
  if (literal) parts.push(`"${literal}"`);
  return parts.length === 1 ? parts[0]! : `(${parts.join(' ')})`;
}
