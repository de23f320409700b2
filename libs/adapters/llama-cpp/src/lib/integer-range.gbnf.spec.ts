import fc from 'fast-check';
import { naturalRangeGbnf } from './integer-range.gbnf';

/** The alternatives as a regular expression (they only use literals, classes and grouping). */
function asRegExp(gbnf: string): RegExp {
  return new RegExp(`^(?:${gbnf.replace(/"(\d+)"/g, '$1').replace(/ /g, '')})$`);
}

describe('naturalRangeGbnf', () => {
  it('splits a range where the digit patterns change', () => {
    expect(naturalRangeGbnf(7, 123)).toBe('[7-9] | ([1-9] [0-9]) | ("1" [0-1] [0-9]) | ("12" [0-3])');
    expect(naturalRangeGbnf(5, 5)).toBe('"5"');
  });

  it('matches exactly the integers in [min, max], without leading zeros', () => {
    fc.assert(
      fc.property(fc.nat(5000), fc.nat(20000), fc.nat(30000), (min, span, probe) => {
        const max = min + span;
        const re = asRegExp(naturalRangeGbnf(min, max));
        expect(re.test(String(probe))).toBe(probe >= min && probe <= max);
        expect(re.test(String(min))).toBe(true);
        expect(re.test(String(max))).toBe(true);
        expect(re.test(`0${max}`)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects ranges it cannot express', () => {
    expect(() => naturalRangeGbnf(-1, 3)).toThrow(RangeError);
    expect(() => naturalRangeGbnf(4, 3)).toThrow(RangeError);
  });
});
