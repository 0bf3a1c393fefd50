import fc from 'fast-check';
import { KeyFilter } from './key-filter';

describe('KeyFilter', () => {
  it('property: a key added is always there (no false negatives)', () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 300 }), (keys) => {
        const filter = new KeyFilter(16);
        for (const key of keys) filter.add(key);
        for (const key of keys) expect(filter.mayHave(key)).toBe(true);
      }),
    );
  });

  it('given 100,000 keys in 2^22 bits, few keys never added look present', () => {
    const filter = new KeyFilter(22);
    for (let i = 0; i < 100_000; i++) filter.add(`student-${i}:2026-09-07:group-${i % 8}`);
    let present = 0;
    for (let i = 0; i < 100_000; i++) if (filter.mayHave(`other-${i}:2026-09-07:group-${i % 8}`)) present++;
    // 3 probes, 100k keys in 4M bits: (1 − e^(−3·100k/4M))³ ≈ 0.04%.
    expect(present).toBeLessThan(500);
  });
});
