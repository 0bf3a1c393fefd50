import fc from 'fast-check';
import { ByteBoundedCache } from './byte-bounded-cache';

type Op = { kind: 'set'; key: number; bytes: number } | { kind: 'get'; key: number } | { kind: 'delete'; key: number };
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: fc.nat(20), bytes: fc.nat(400) }),
  fc.record({ kind: fc.constant('get' as const), key: fc.nat(20) }),
  fc.record({ kind: fc.constant('delete' as const), key: fc.nat(20) }),
);

describe('ByteBoundedCache', () => {
  it('given a budget, when entries outgrow it, then the least recently used go first', () => {
    const cache = new ByteBoundedCache<string>(100);
    cache.set('a', 'A', 40);
    cache.set('b', 'B', 40);
    cache.get('a');
    cache.set('c', 'C', 40);
    expect([cache.peek('a'), cache.peek('b'), cache.peek('c')]).toEqual(['A', undefined, 'C']);
    expect(cache.bytes).toBe(80);
  });

  it('does not keep an entry heavier than the whole budget (and drops what it replaced)', () => {
    const cache = new ByteBoundedCache<string>(100);
    cache.set('a', 'A', 10);
    cache.set('a', 'big', 101);
    expect(cache.peek('a')).toBeUndefined();
    expect(cache.bytes).toBe(0);
  });

  it('property: never over budget, the sum is exact, the last entry set stays when it fits, and it answers like a plain LRU', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1000 }), fc.array(op, { maxLength: 200 }), (budget, ops) => {
        const cache = new ByteBoundedCache<number>(budget);
        // The model: a list in use order, oldest first.
        let model: { key: string; value: number; bytes: number }[] = [];
        ops.forEach((o, i) => {
          const key = String(o.key);
          if (o.kind === 'set') {
            cache.set(key, i, o.bytes);
            model = model.filter((e) => e.key !== key);
            if (o.bytes <= budget) model.push({ key, value: i, bytes: o.bytes });
            while (model.reduce((n, e) => n + e.bytes, 0) > budget) model.shift();
            if (o.bytes <= budget) expect(cache.peek(key)).toBe(i);
          } else if (o.kind === 'get') {
            const found = model.find((e) => e.key === key);
            expect(cache.get(key)).toBe(found?.value);
            if (found) model = [...model.filter((e) => e !== found), found];
          } else {
            cache.delete(key);
            model = model.filter((e) => e.key !== key);
          }
          expect(cache.bytes).toBeLessThanOrEqual(budget);
          expect(cache.bytes).toBe(model.reduce((n, e) => n + e.bytes, 0));
          expect(cache.size).toBe(model.length);
        });
      }),
      { numRuns: 500 },
    );
  });
});
