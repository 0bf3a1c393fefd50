import fc from 'fast-check';
import { v7 as uuidv7 } from 'uuid';
import { PROJECTORS } from '../../projections';
import { ProjectionRunner } from '../../projections/projection-runner';
import { DocumentProjector, foldDocuments } from '../../projections/projector';
import { accountStream } from '../../src/accounts/domain/account.decider';
import { ManualClock } from '../../src/common/clock';
import { Actor, StoredEvent } from '../../src/event-store/envelope';
import { START } from '../../src/event-store/position';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { foldLedger, isVoidingEvent, VOIDING_EVENT_TYPES } from '../../src/security/domain/voiding';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';
import { viewDocuments } from '../support/fixtures';

/**
 * Issue 14: a rebuild reads the log school by school (projections/rebuild-by-school.ts). Whatever
 * the events say of their school — a stream written from two schools, a document named by events
 * of several schools and of none, reports that void operations across schools, reinstatements and
 * reissues — and however small its memory (it writes a school part
 * way and reads it back) or wherever it is stopped and resumed by another runner, the views it
 * builds are the definition: every event of the log folded in log order under the ledger of every
 * voiding fact (`foldDocuments`).
 */
/** Each run rebuilds the whole log so far (every run's events): 60 runs, a few thousand events at the end. */
const RUNS = Number(process.env.ZHURNAL_PROPERTY_RUNS ?? 60);
const SCHOOLS = ['0190a5c0-0000-7000-8000-0000000000a1', '0190a5c0-0000-7000-8000-0000000000b2', '0190a5c0-0000-7000-8000-0000000000c3'];

interface Noted {
  keys: string[];
  value: number;
}

/** Order matters: a document is the list of values in the order their events were folded. */
const tally: DocumentProjector<{ values: number[] }> = {
  name: 'test-tally',
  version: 1,
  handles: ['Noted'],
  keys: (event) => (event.data as Noted).keys,
  evolve: (doc, event) => ({ values: [...(doc?.values ?? []), (event.data as Noted).value] }),
};
/** An audit: sees void events too, with the incident. */
const audit: DocumentProjector<{ rows: [number, string | null][] }> = {
  name: 'test-audit',
  version: 1,
  handles: ['Noted'],
  seesVoid: true,
  keys: (event) => (event.data as Noted).keys.slice(0, 1),
  evolve: (doc, event, _key, voidedBy) => ({ rows: [...(doc?.rows ?? []), [(event.data as Noted).value, voidedBy]] }),
};

type Op =
  | { kind: 'note'; stream: number; school: number; actor: number; keys: number[]; value: number }
  | { kind: 'report'; actor: number; back: number; school: number }
  | { kind: 'reinstate'; pick: number; school: number }
  | { kind: 'reissue'; actor: number; school: number };

/** 0–2: a school; 3: no school. */
const school = fc.nat(3);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('note' as const), stream: fc.nat(5), school, actor: fc.nat(3), keys: fc.array(fc.nat(7), { minLength: 1, maxLength: 3 }), value: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('report' as const), actor: fc.nat(3), back: fc.nat(15), school }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reinstate' as const), pick: fc.nat(50), school }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reissue' as const), actor: fc.nat(3), school }) },
);

/** How the rebuild runs: memory (tiny: it writes part way through a school), batch size, and a stop after some schools. */
const how = fc.record({ memory: fc.constantFrom(256 * 1024 * 1024, 2048, 1), batch: fc.integer({ min: 1, max: 9 }), stopAfter: fc.option(fc.nat(4), { nil: null }) });

describe(`property: a rebuild school by school equals the fold of the whole log (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  let store: PostgresEventStore;
  const clock = new ManualClock('2026-09-14T06:00:00.000Z');

  beforeAll(async () => {
    test = await openTestDatabase();
    store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND, clock });
  });
  afterAll(async () => test.close());

  it('for any history, memory, batch size and stop', async () => {
    const officer: Actor = { accountId: uuidv7(), role: 'security_officer', generation: 1 };
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), how, async (ops, { memory, batch, stopAfter }) => {
        // Fresh streams, keys and accounts per run; the log (and so every view) keeps every run's events.
        const run = uuidv7();
        const actors: Actor[] = Array.from({ length: 4 }, () => ({ accountId: uuidv7(), role: 'teacher', generation: 1 }));
        const versions = new Map<string, number>();
        const moments: string[] = [];
        const open = new Map<string, string>();
        const append = async (stream: string, schoolIndex: number, actor: Actor, type: string, data: object) => {
          const written = await store.append(stream, versions.get(stream) ?? 0, [{ type, data }], { schoolId: SCHOOLS[schoolIndex] ?? null, actor, correlationId: uuidv7() });
          versions.set(stream, written.nextVersion);
          moments.push(clock.now().toISOString());
          clock.advance(60_000);
        };
        for (const o of ops) {
          if (o.kind === 'note') {
            await append(`notes-${run}-${o.stream}`, o.school, actors[o.actor], 'Noted', { keys: o.keys.map((k) => `${run}:${k}`), value: o.value });
          } else if (o.kind === 'report') {
            const account = actors[o.actor].accountId;
            if (open.has(account)) continue;
            const incidentId = uuidv7();
            const effectiveFrom = moments[Math.max(0, moments.length - 1 - o.back)] ?? clock.now().toISOString();
            await append(accountStream(account), o.school, officer, 'CredentialCompromiseReported', { incidentId, accountId: account, effectiveFrom, suspectedSince: null, reportedBy: officer.accountId, note: null });
            open.set(account, incidentId);
          } else if (o.kind === 'reinstate') {
            const mine = (await Promise.all(Array.from({ length: 6 }, (_, i) => store.readStream(`notes-${run}-${i}`)))).flat();
            const ledger = foldLedger(await store.query({ types: VOIDING_EVENT_TYPES }));
            const voided = mine.filter((e) => ledger.voidedBy(e) !== null);
            if (voided.length === 0) continue;
            const chosen = voided[o.pick % voided.length];
            await append(accountStream(chosen.actor.accountId), o.school, officer, 'OperationReinstated', {
              incidentId: ledger.voidedBy(chosen),
              accountId: chosen.actor.accountId,
              eventId: chosen.eventId,
              reason: 'проверено',
              by: officer.accountId,
            });
          } else {
            const account = actors[o.actor].accountId;
            await append(accountStream(account), o.school, officer, 'CredentialsReissued', { accountId: account, generation: 2, credentialId: uuidv7(), closesIncidentId: open.get(account) ?? null });
            open.delete(account);
          }
        }

        const projectors = [...PROJECTORS, tally, audit] as DocumentProjector[];
        const options = { rebuildBatchSize: batch, rebuildMemoryBytes: memory, batchSize: 50 };
        await new ProjectionRunner(test.database.dataSource, store, projectors, options).catchUp();
        if (stopAfter === null) {
          const runner = new ProjectionRunner(test.database.dataSource, store, projectors, options);
          await runner.reset();
          await runner.catchUp();
        } else {
          // Stopped after some schools; another runner (the service's leader) finishes it.
          const rebuild = await new ProjectionRunner(test.database.dataSource, store, projectors, options).rebuild();
          for (let i = 0; i < stopAfter && (await rebuild.step()); i++);
          await rebuild.release();
          await new ProjectionRunner(test.database.dataSource, store, projectors, options).catchUp();
        }

        const log: StoredEvent[] = [];
        for (let after = START; ; ) {
          const page = await store.readAll(after, { limit: 5000 });
          if (page.length === 0) break;
          log.push(...page);
          after = page[page.length - 1].position;
        }
        const ledger = foldLedger(log.filter((e) => isVoidingEvent(e.type)));
        for (const projector of projectors) {
          const built = await viewDocuments(test.database, projector.name);
          const expected = foldDocuments(projector, log, undefined, ledger);
          // The keys that differ, with both documents (a whole view is long to read).
          const differing = [...new Set([...built.keys(), ...expected.keys()])]
            .filter((key) => JSON.stringify(built.get(key)) !== JSON.stringify(expected.get(key)))
            .map((key) => ({ key, built: built.get(key), expected: expected.get(key) }));
          if (differing.length > 0 && process.env.DEBUG_BYSCHOOL) {
            for (const d of differing) {
              const named = log.filter((e) => e.type === 'Noted' && (e.data as Noted).keys.includes(d.key));
              console.log(JSON.stringify({ key: d.key, built: d.built, expected: d.expected, events: named.map((e) => ({ s: e.stream.slice(-6), school: e.schoolId?.slice(-2), pos: e.globalPosition, v: (e.data as Noted).value, void: ledger.voidedBy(e) })) }));
              console.log(JSON.stringify((await test.database.pool.query(`SELECT projection, generation, key, sources, position FROM view_document WHERE key = $1`, [d.key])).rows));
              console.log(JSON.stringify((await test.database.pool.query(`SELECT * FROM projection_checkpoint`)).rows));
            }
          }
          expect({ projection: projector.name, differing }).toEqual({ projection: projector.name, differing: [] });
        }
      }),
      { numRuns: RUNS },
    );
  }, 600_000);
});
