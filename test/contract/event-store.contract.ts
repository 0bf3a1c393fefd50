import { v7 as uuidv7 } from 'uuid';
import { ManualClock } from '../../src/common/clock';
import { AppendMetadata, canonicalEnvelope, EventEnvelope, StoredEvent } from '../../src/event-store/envelope';
import { ConcurrencyError, IdempotencyConflictError } from '../../src/event-store/event-store.errors';
import { EventStore } from '../../src/event-store/event-store.port';
import { OperationIds } from '../../src/event-store/operation-ids';
import { comparePositions, formatPosition, START } from '../../src/event-store/position';
import { EventSchemas } from '../../src/event-store/upcasting';

export interface ContractSubject {
  store: EventStore;
  clock: ManualClock;
  /** Writes an envelope straight into the log, as an older service stored it (no stamping, no checks). */
  storeOld(envelope: EventEnvelope): Promise<void>;
  close(): Promise<void>;
}

/** Builds a store over an empty log with the given clock and event schemas. */
export type ContractFactory = (clock: ManualClock, schemas: EventSchemas) => Promise<ContractSubject>;

const teacher = { accountId: '0190a5c0-0000-7000-8000-00000000aaaa', role: 'teacher', generation: 1 };
const school = '0190a5c0-0000-7000-8000-00000000cccc';
const meta = (correlationId = uuidv7(), causationId: string | null = null): AppendMetadata => ({
  schoolId: school,
  actor: teacher,
  correlationId,
  causationId,
});
const mark = (value: number, eventId?: string) => ({ eventId, type: 'MarkRecorded', data: { value } });
let streamCounter = 0;
const newStream = () => `journal-${Date.now()}-${++streamCounter}`;

/** One suite, every adapter: what any EventStore must do. */
export function eventStoreContract(name: string, factory: ContractFactory | null, skipReason?: string): void {
  const describeOrSkip = factory ? describe : describe.skip;
  if (!factory) {
    // Printed so a reader of the test output sees why the adapter was not exercised.
    console.warn(`SKIPPED event store contract for ${name}: ${skipReason}`);
  }
  describeOrSkip(`EventStore contract: ${name}`, () => {
    let subject: ContractSubject;
    let store: EventStore;
    // LegacyMarked went {mark} → {value, workKind} (v2) → {value, workKind, weight} (v3); other types are v1.
    const schemas = new EventSchemas({
      current: { LegacyMarked: 3 },
      upcasters: [
        { type: 'LegacyMarked', fromVersion: 1, upcast: (data) => ({ value: (data as { mark: number }).mark, workKind: 'classwork' }) },
        { type: 'LegacyMarked', fromVersion: 2, upcast: (data) => ({ ...(data as object), weight: 1 }) },
      ],
      undeclared: 'version 1',
    });

    beforeAll(async () => {
      subject = await factory!(new ManualClock('2026-09-01T06:00:00.000Z'), schemas);
      store = subject.store;
    });
    afterAll(async () => subject?.close());

    it('appends to a new stream with versions from 1 and the full envelope', async () => {
      const stream = newStream();
      subject.clock.set('2026-09-02T07:30:00.123Z');
      const correlation = uuidv7();
      const result = await store.append(stream, 'no-stream', [mark(5), mark(4)], meta(correlation, 'cause-1'));
      expect(result.nextVersion).toBe(2);
      expect(result.replayed).toBe(false);
      expect(result.events.map((e) => e.streamVersion)).toEqual([1, 2]);
      const [first, second] = result.events;
      expect(first.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(first).toMatchObject({
        type: 'MarkRecorded',
        schemaVersion: 1,
        stream,
        schoolId: school,
        actor: teacher,
        recordedAt: '2026-09-02T07:30:00.123Z',
        correlationId: correlation,
        causationId: 'cause-1',
        data: { value: 5 },
      });
      expect(comparePositions(first.position, second.position)).toBeLessThan(0);
      expect(result.position).toEqual(second.position);
      expect(first.globalPosition).toBe(formatPosition(first.position));
    });

    it('reads a stream back in order, from a version, and an unknown stream as empty', async () => {
      const stream = newStream();
      await store.append(stream, 'no-stream', [mark(1), mark(2), mark(3)], meta());
      expect((await store.readStream(stream)).map((e) => e.data)).toEqual([{ value: 1 }, { value: 2 }, { value: 3 }]);
      expect((await store.readStream(stream, 3)).map((e) => e.streamVersion)).toEqual([3]);
      expect(await store.readStream(newStream())).toEqual([]);
    });

    it('refuses a stale expected version with ConcurrencyError and writes nothing', async () => {
      const stream = newStream();
      await store.append(stream, 'no-stream', [mark(5)], meta());
      await expect(store.append(stream, 0, [mark(3), mark(2)], meta())).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store.append(stream, 'no-stream', [mark(3)], meta())).rejects.toBeInstanceOf(ConcurrencyError);
      await expect(store.append(stream, 5, [mark(3)], meta())).rejects.toBeInstanceOf(ConcurrencyError);
      expect((await store.readStream(stream)).map((e) => e.data)).toEqual([{ value: 5 }]);
      const next = await store.append(stream, 1, [mark(4)], meta());
      expect(next.nextVersion).toBe(2);
    });

    it("appends at whatever version with 'any'", async () => {
      const stream = newStream();
      await store.append(stream, 'any', [mark(1)], meta());
      const second = await store.append(stream, 'any', [mark(2)], meta());
      expect(second.nextVersion).toBe(2);
    });

    it('lets exactly one of two writers that read the same version win', async () => {
      const stream = newStream();
      await store.append(stream, 'no-stream', [mark(5)], meta());
      const outcomes = await Promise.allSettled([
        store.append(stream, 1, [mark(4)], meta()),
        store.append(stream, 1, [mark(3)], meta()),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(ConcurrencyError);
      expect(await store.readStream(stream)).toHaveLength(2);
    });

    it('is idempotent by event id: a retry returns the original positions and writes nothing', async () => {
      const stream = newStream();
      const ids = [uuidv7(), uuidv7()];
      const first = await store.append(stream, 'no-stream', [mark(5, ids[0]), mark(4, ids[1])], meta());
      const retry = await store.append(stream, 'no-stream', [mark(5, ids[0]), mark(4, ids[1])], meta());
      expect(retry.replayed).toBe(true);
      expect(retry.events.map((e) => e.globalPosition)).toEqual(first.events.map((e) => e.globalPosition));
      expect(retry.nextVersion).toBe(2);
      expect(await store.readStream(stream)).toHaveLength(2);
      await expect(store.append(stream, 2, [mark(3, ids[1]), mark(2)], meta())).rejects.toBeInstanceOf(IdempotencyConflictError);
      expect(await store.readStream(stream)).toHaveLength(2);
    });

    it("an append under an Idempotency-Key's ids repeats as a replay at any expected version; findEvent finds its events", async () => {
      const stream = newStream();
      const keyed = () => ({ ...meta(), ids: OperationIds.keyed(teacher.accountId, 'a'.repeat(64), `key-${stream}`) });
      await store.append(stream, 'no-stream', [mark(1)], meta());
      const first = await store.append(stream, 1, [mark(5), mark(4)], keyed());
      expect(first.replayed).toBe(false);
      await store.append(stream, 3, [mark(2)], meta());
      // The retry decided on a newer version: still the first attempt's events, nothing written.
      const retry = await store.append(stream, 4, [mark(5), mark(4)], keyed());
      expect(retry.replayed).toBe(true);
      expect(retry.events.map((e) => e.globalPosition)).toEqual(first.events.map((e) => e.globalPosition));
      expect(await store.readStream(stream)).toHaveLength(4);
      expect((await store.findEvent(stream, first.events[1].eventId))?.streamVersion).toBe(3);
      expect(await store.findEvent(newStream(), first.events[1].eventId)).toBeNull();
      expect(await store.findEvent(stream, uuidv7())).toBeNull();
    });

    it('reads the global log after a position, in batches, each event once and in order', async () => {
      const start = await store.head();
      const stream = newStream();
      for (let i = 0; i < 7; i++) await store.append(stream, i, [mark((i % 5) + 1)], meta());
      const seen: StoredEvent[] = [];
      let position = start;
      for (;;) {
        const batch = await store.readAll(position, { limit: 3 });
        if (batch.length === 0) break;
        expect(batch.length).toBeLessThanOrEqual(3);
        seen.push(...batch);
        position = batch[batch.length - 1].position;
      }
      const ours = seen.filter((e) => e.stream === stream);
      expect(ours.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      for (let i = 1; i < seen.length; i++) expect(comparePositions(seen[i - 1].position, seen[i].position)).toBeLessThan(0);
      // ≥, not =: on PostgreSQL the visible head waits for transactions open anywhere on the server.
      expect(comparePositions(await store.head(), seen[seen.length - 1].position)).toBeGreaterThanOrEqual(0);
      expect(await store.readAll(START, { limit: 1 })).toHaveLength(1);
    });

    it("gives the stored entries (RFC 8785 text of each envelope as stored) in readAll's order, and by id", async () => {
      const start = await store.head();
      const stream = newStream();
      for (let i = 0; i < 5; i++) await store.append(stream, i, [mark((i % 5) + 1)], meta());
      expect(store.readEntries).toBeDefined();
      const entries = [];
      let position = start;
      for (;;) {
        const page = await store.readEntries!(position, 2);
        if (page.length === 0) break;
        entries.push(...page);
        position = page[page.length - 1].position;
      }
      const read = await store.readAll(start);
      expect(entries.map((e) => e.eventId)).toEqual(read.map((e) => e.eventId));
      // Our events are at their current schema version: the stored text is the envelope read.
      for (const [i, entry] of entries.entries()) {
        expect(JSON.parse(entry.entry)).toMatchObject({ eventId: entry.eventId, type: entry.type });
        if (read[i].stream !== stream) continue;
        const { position: _position, globalPosition: _global, ...envelope } = read[i];
        expect(entry.entry).toBe(canonicalEnvelope(envelope));
      }
      const ours = entries.filter((e) => JSON.parse(e.entry).stream === stream);
      expect(ours).toHaveLength(5);
      const byId = await store.entriesOf!([ours[1].eventId, ours[3].eventId, uuidv7()]);
      expect(byId.map((e) => e.entry).sort()).toEqual([ours[1].entry, ours[3].entry].sort());
    });

    it('subscribes: catches up, then receives live appends, each once, until stopped', async () => {
      const start = await store.head();
      const stream = newStream();
      await store.append(stream, 'no-stream', [mark(1), mark(2)], meta());
      const received: StoredEvent[] = [];
      let resolveEnough!: () => void;
      const enough = new Promise<void>((resolve) => (resolveEnough = resolve));
      const subscription = store.subscribe(
        start,
        async (events) => {
          received.push(...events.filter((e) => e.stream === stream));
          if (received.length >= 5) resolveEnough();
        },
        { batchSize: 2, pollIntervalMs: 10 },
      );
      await store.append(stream, 2, [mark(3)], meta());
      await store.append(stream, 3, [mark(4), mark(5)], meta());
      await enough;
      await subscription.stop();
      expect(received.map((e) => e.streamVersion)).toEqual([1, 2, 3, 4, 5]);
    });

    it('upcasts an event stored in an old shape, straight into the log, on every read; writes stamp the current version', async () => {
      const stream = newStream();
      const start = await store.head();
      const old = { eventId: uuidv7(), type: 'LegacyMarked', stream, streamVersion: 1, schoolId: school, actor: teacher, recordedAt: '2025-09-01T06:00:00.000Z', correlationId: uuidv7(), causationId: null };
      await subject.storeOld({ ...old, schemaVersion: 1, data: { mark: 4 } });
      await subject.storeOld({ ...old, eventId: uuidv7(), streamVersion: 2, schemaVersion: 2, data: { value: 3, workKind: 'oral' } });
      const lifted = [
        { schemaVersion: 3, data: { value: 4, workKind: 'classwork', weight: 1 } },
        { schemaVersion: 3, data: { value: 3, workKind: 'oral', weight: 1 } },
      ];
      const read = await store.readStream(stream);
      expect(read).toMatchObject(lifted);
      expect(await store.findEvent(stream, read[0].eventId)).toMatchObject(lifted[0]);
      expect((await store.readAll(start)).filter((e) => e.stream === stream)).toMatchObject(lifted);
      const written = await store.append(stream, 2, [{ type: 'LegacyMarked', data: { value: 5, workKind: 'test', weight: 2 } }, mark(5)], meta());
      expect(written.events.map((e) => e.schemaVersion)).toEqual([3, 1]);
      expect((await store.readStream(stream, 3))[0]).toMatchObject({ schemaVersion: 3, data: { value: 5, workKind: 'test', weight: 2 } });
    });

    it('queries one school, or the events of no school, between two positions; lists the schools where it can', async () => {
      const start = await store.head();
      const stream = newStream();
      const other = uuidv7();
      const written: StoredEvent[] = [];
      for (let i = 0; i < 6; i++) {
        const schoolId = [school, other, null][i % 3];
        written.push(...(await store.append(stream, i, [mark(i + 1)], { ...meta(), schoolId })).events);
      }
      const ours = (events: StoredEvent[]) => events.filter((e) => e.stream === stream).map((e) => e.streamVersion);
      expect(ours(await store.query({ schoolId: other, after: start }))).toEqual([2, 5]);
      expect(ours(await store.query({ schoolId: null, after: start }))).toEqual([3, 6]);
      // `upTo` includes its own position; with `after`, a range.
      expect(ours(await store.query({ schoolId: school, after: start, upTo: written[3].position }))).toEqual([1, 4]);
      expect(ours(await store.query({ after: written[0].position, upTo: written[4].position }))).toEqual([2, 3, 4, 5]);
      if (store.schools) {
        const schools = await store.schools();
        expect(schools).toEqual(expect.arrayContaining([school, other]));
        expect(schools).toEqual([...schools].sort());
        expect(schools).not.toContain(null);
      }
    });

    it('answers ping and reports the head of an active log', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
      const stream = newStream();
      const written = await store.append(stream, 'no-stream', [mark(3)], meta());
      expect(comparePositions(await store.head(), written.position)).toBeGreaterThanOrEqual(0);
    });
  });
}
