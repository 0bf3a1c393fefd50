import { validate, version } from 'uuid';
import { OperationIds } from './operation-ids';

const account = '0190a5c0-0000-7000-8000-00000000aaaa';
const hash = 'c'.repeat(64);

describe('operation ids', () => {
  it('without a key: fresh UUIDv7s, never the same twice', () => {
    const ids = OperationIds.fresh();
    const made = [ids.newId(), ids.newId(), ids.eventId('s', 0), ids.eventId('s', 0)];
    expect(new Set(made).size).toBe(4);
    expect(made.every((id) => validate(id) && version(id) === 7)).toBe(true);
    expect(ids.repeatable).toBe(false);
  });

  it('under a key: a retry of the same request makes the same ids, in the same order', () => {
    const first = OperationIds.keyed(account, hash, 'k-1');
    const retry = OperationIds.keyed(account, hash, 'k-1');
    expect([first.newId(), first.newId(), first.eventId('journal-1', 0), first.eventId('journal-1', 1)]).toEqual([retry.newId(), retry.newId(), retry.eventId('journal-1', 0), retry.eventId('journal-1', 1)]);
    expect(first.repeatable).toBe(true);
    expect(validate(first.newId()) && version(first.newId()) === 5).toBe(true);
  });

  it('under a key: another account, request, key, ordinal, stream or place gives another id', () => {
    const of = (ids: OperationIds) => [ids.newId(), ids.eventId('journal-1', 0)];
    const base = of(OperationIds.keyed(account, hash, 'k-1'));
    const others = [
      of(OperationIds.keyed('0190a5c0-0000-7000-8000-00000000bbbb', hash, 'k-1')),
      of(OperationIds.keyed(account, 'd'.repeat(64), 'k-1')),
      of(OperationIds.keyed(account, hash, 'k-2')),
      // A key that spells the others' separators does not reach their names.
      of(OperationIds.keyed(account, hash, 'k-1\n')),
    ];
    const all = [...base, ...others.flat()];
    expect(new Set(all).size).toBe(all.length);
    const ids = OperationIds.keyed(account, hash, 'k-1');
    expect(new Set([ids.newId(), ids.newId(), ids.eventId('journal-1', 0), ids.eventId('journal-1', 1), ids.eventId('journal-2', 0)]).size).toBe(5);
  });
});
