import fc from 'fast-check';
import { suggestFinalMark } from './final-mark-suggestion';

const marks = (...values: number[]) => values.map((value) => ({ value, weight: 1 }));

describe('final-mark suggestion (seed 003 §11)', () => {
  it.each([
    [[2, 3], 2.5, '3'],
    [[3, 4], 3.5, '4'],
    [[4, 5], 4.5, '5'],
    [[4, 4, 5], 4.33, '4'],
    [[2, 2, 3], 2.33, '2'],
    [[1, 1, 1], 1, '2'],
    [[5, 5, 5], 5, '5'],
  ])('marks %j → average %d, suggested %s', (values, average, suggested) => {
    expect(suggestFinalMark(marks(...values), 2)).toEqual({ average, suggested });
  });

  it('weighs marks: a test of weight 3 counts three times', () => {
    expect(suggestFinalMark([{ value: 5, weight: 3 }, { value: 3, weight: 1 }, { value: 3, weight: 1 }])).toEqual({ average: 4.2, suggested: '4' });
  });

  it('suggests Н/А with fewer marks than the school setting, still showing the average', () => {
    expect(suggestFinalMark(marks(5, 5))).toEqual({ average: 5, suggested: 'Н/А' });
    expect(suggestFinalMark([])).toEqual({ average: null, suggested: 'Н/А' });
    expect(suggestFinalMark(marks(5, 5), 2)).toEqual({ average: 5, suggested: '5' });
  });

  it('never falls for float error: 3.5 made of weights that floats get wrong', () => {
    // 0.1-style sums: 7 × 3 + 7 × 4 over 14 is exactly 3.5.
    expect(suggestFinalMark([...Array(7)].map(() => ({ value: 3, weight: 7 })).concat([...Array(7)].map(() => ({ value: 4, weight: 7 }))))).toEqual({ average: 3.5, suggested: '4' });
  });

  it('property: agrees with an exact rational reference (BigInt), for any marks and weights', () => {
    const reference = (list: { value: number; weight: number }[]) => {
      const s = list.reduce((a, m) => a + BigInt(m.value * m.weight), 0n);
      const w = list.reduce((a, m) => a + BigInt(m.weight), 0n);
      // half up: compare 2·S with (2k−1)·W for the smallest k that exceeds it
      let whole = 1n;
      while (2n * s >= (2n * whole + 1n) * w) whole++;
      const clamped = whole < 2n ? 2n : whole > 5n ? 5n : whole;
      return { average: Number((100n * s) / w) / 100, suggested: String(clamped) };
    };
    fc.assert(
      fc.property(fc.array(fc.record({ value: fc.integer({ min: 1, max: 5 }), weight: fc.integer({ min: 1, max: 10 }) }), { minLength: 3, maxLength: 60 }), (list) => {
        expect(suggestFinalMark(list)).toEqual(reference(list));
      }),
      { numRuns: 2000 },
    );
  });
});
