import { FlotillaError } from '@flotilla/core';
import fc from 'fast-check';
import { ToolCallAssembler } from './tool-call.assembler';

describe('ToolCallAssembler', () => {
  it('reassembles arguments split at any points, for several calls interleaved by index (property)', () => {
    const args = fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)));
    fc.assert(
      fc.property(fc.array(args, { minLength: 1, maxLength: 3 }), fc.integer({ min: 1, max: 7 }), (calls, pieceSize) => {
        const a = new ToolCallAssembler();
        const pieces = calls.map((c) => {
          const text = JSON.stringify(c);
          const out: string[] = [];
          for (let i = 0; i < text.length; i += pieceSize) out.push(text.slice(i, i + pieceSize));
          return out;
        });
        calls.forEach((_, index) => a.add({ index, id: `call_${index}`, function: { name: `tool${index}`, arguments: '' } }));
        const longest = Math.max(...pieces.map((p) => p.length));
        for (let i = 0; i < longest; i++) {
          pieces.forEach((p, index) => {
            if (i < p.length) a.add({ index, function: { arguments: p[i] } });
          });
        }
        const done = a.finish({});
        expect(done.map((c) => c.arguments)).toEqual(calls);
        expect(done.map((c) => c.id)).toEqual(calls.map((_, i) => `call_${i}`));
      }),
      { numRuns: 100 },
    );
  });

  it('treats empty arguments as an empty object', () => {
    const a = new ToolCallAssembler();
    a.add({ index: 0, function: { name: 'now' } });
    expect(a.finish({})).toEqual([{ name: 'now', arguments: {} }]);
  });

  it('fails as badOutput when arguments are not a JSON object', () => {
    for (const text of ['{"a":', '[1,2]', '"text"']) {
      const a = new ToolCallAssembler();
      a.add({ index: 0, function: { name: 'f', arguments: text } });
      let caught: unknown;
      try {
        a.finish({ model: 'm' });
      } catch (e) {
        caught = e;
      }
      expect(FlotillaError.is(caught, 'badOutput')).toBe(true);
      expect((caught as FlotillaError).details).toMatchObject({ model: 'm', tool: 'f', raw: text });
    }
  });
});
