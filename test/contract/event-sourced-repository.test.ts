import { EventSourcedRepository } from '../../src/event-store/event-sourced-repository';
import { OperationIds } from '../../src/event-store/operation-ids';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';
import { meta } from '../support/fixtures';

type Tally = { type: 'Counted'; data: { by: string; n: number } };
const tally = { initialState: () => ({ count: 0 }), evolve: (state: { count: number }, event: Tally) => ({ count: state.count + (event.type === 'Counted' ? 1 : 0) }) };

describe(`event-sourced repository under contention (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  beforeAll(async () => (test = await openTestDatabase({ poolSize: 12 })));
  afterAll(async () => test.close());

  it('loses no write when 20 commands hit one stream at once from two processes', async () => {
    const store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
    // Two repositories: separate caches and locks, as two service instances would have.
    const processes = [new EventSourcedRepository(store), new EventSourcedRepository(store)];
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        processes[i % 2].handle('tally-1', tally, (state) => [{ type: 'Counted', data: { by: `writer-${i}`, n: state.count + 1 } }], meta()),
      ),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    const events = await store.readStream('tally-1');
    expect(events.map((e) => (e.data as { n: number }).n)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(new Set(events.map((e) => (e.data as { by: string }).by)).size).toBe(20);
    expect((await processes[0].load('tally-1', tally)).state.count).toBe(20);
    expect((await processes[1].load('tally-1', tally)).state.count).toBe(20);
  });

  it('writes nothing when the decision refuses, and nothing when it decides nothing is needed', async () => {
    const store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
    const repository = new EventSourcedRepository(store);
    await expect(repository.handle('tally-2', tally, () => { throw new Error('refused'); }, meta())).rejects.toThrow('refused');
    expect(await repository.handle('tally-2', tally, () => [], meta())).toBeNull();
    expect(await store.readStream('tally-2')).toEqual([]);
  });

  it('under an Idempotency-Key a retry is a replay of what the first attempt stored, found before deciding again, from any process', async () => {
    const store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
    const [first, other] = [new EventSourcedRepository(store), new EventSourcedRepository(store)];
    const attempt = () => ({ ...meta(), ids: OperationIds.keyed(meta().actor.accountId, 'f'.repeat(64), 'key-1') });
    await first.handle('tally-3', tally, () => [{ type: 'Counted', data: { by: 'someone', n: 1 } }], meta());
    const written = await first.handle('tally-3', tally, (state) => [{ type: 'Counted', data: { by: 'me', n: state.count + 1 } }, { type: 'Counted', data: { by: 'me', n: state.count + 2 } }], attempt());
    await first.handle('tally-3', tally, () => [{ type: 'Counted', data: { by: 'someone', n: 4 } }], meta());
    // A second decision would now refuse: the replay must not ask for one.
    const refuse = () => {
      throw new Error('decided again');
    };
    const replayed = await other.handle('tally-3', tally, refuse, attempt());
    expect(replayed).toMatchObject({ replayed: true, nextVersion: 3 });
    expect(replayed!.events.map((e) => e.eventId)).toEqual(written!.events.map((e) => e.eventId));
    expect(replayed!.position).toEqual(written!.position);
    expect(await other.stored('tally-3', meta())).toBeNull();
    expect(await store.readStream('tally-3')).toHaveLength(4);
  });

  it('keeps folded states within a budget of bytes: a long stream is not kept, small ones are, every load stays right', async () => {
    const store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
    // 1 MiB: a state counts 512 bytes plus 512 per event folded, so a stream of 2,100 events weighs more than the whole budget.
    const repository = new EventSourcedRepository(store, undefined, { REPOSITORY_CACHE_MB: 1 });
    for (let i = 0; i < 2100; i += 300) {
      await store.append('tally-long', i === 0 ? 'no-stream' : i, Array.from({ length: 300 }, (_, n) => ({ type: 'Counted', data: { by: 'bulk', n: i + n + 1 } })), meta());
    }
    for (let s = 0; s < 40; s++) await repository.handle(`tally-small-${s}`, tally, () => [{ type: 'Counted', data: { by: 'me', n: 1 } }], meta());
    const small = repository.cachedBytes;
    expect(small).toBeGreaterThan(0);
    expect((await repository.load('tally-long', tally)).state.count).toBe(2100);
    expect(repository.cachedBytes).toBe(small);
    expect(repository.cachedBytes).toBeLessThanOrEqual(1024 * 1024);
    for (let s = 0; s < 40; s++) expect((await repository.load(`tally-small-${s}`, tally)).state.count).toBe(1);
  });
});
