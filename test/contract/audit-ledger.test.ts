import fc from 'fast-check';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { START } from '../../src/event-store/position';
import { parseCheckpointText } from '../../src/ledger/domain/checkpoint';
import { leafHash } from '../../src/ledger/domain/merkle';
import { mth, path, subproof } from '../../src/ledger/domain/testing/rfc6962-reference';
import { generateSigner, NoteSigner, signedBy, signNote } from '../../src/ledger/domain/note';
import { LedgerAudit } from '../../src/ledger/ledger-audit';
import { CHECKPOINT_SIGNED, LedgerBuilder, LedgerInconsistentError } from '../../src/ledger/ledger-builder';
import { LedgerProofs } from '../../src/ledger/ledger-proofs';
import { exportLedger, exportSchoolSlice } from '../../src/ledger/ledger-export';
import { LedgerStore } from '../../src/ledger/ledger-store';
import { verifyExportDir } from '../../src/verifier/export';
import { verifySliceDir } from '../../src/verifier/slice';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';
import { meta, SCHOOL_ID } from '../support/fixtures';

const ORIGIN = 'zhurnal.test/ledger';

const b64 = (hash: Buffer) => hash.toString('base64');

describe(`the audit ledger (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  let events: PostgresEventStore;
  let store: LedgerStore;
  let signer: NoteSigner;
  let builder: LedgerBuilder;
  let proofs: LedgerProofs;
  let audit: LedgerAudit;

  /** The leaves as the log's own stored bytes give them, in global order. */
  async function logLeaves(): Promise<{ ids: string[]; leaves: Buffer[] }> {
    const ids: string[] = [];
    const leaves: Buffer[] = [];
    let after = START;
    for (;;) {
      const page = await events.readEntries(after, 1000);
      if (page.length === 0) return { ids, leaves };
      for (const entry of page) {
        ids.push(entry.eventId);
        leaves.push(leafHash(Buffer.from(entry.entry, 'utf8')));
      }
      after = page[page.length - 1].position;
    }
  }

  async function write(count: number, stream = 'journal-a'): Promise<void> {
    for (let i = 0; i < count; i += 50) {
      const batch = Array.from({ length: Math.min(50, count - i) }, (_, j) => ({ type: 'MarkRecorded', data: { n: i + j, note: 'Иванов Пётр: 5' } }));
      await events.append(`${stream}-${i % 3}`, 'any', batch, meta());
    }
  }

  beforeAll(async () => {
    test = await openTestDatabase({ poolSize: 4 });
    events = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
    store = new LedgerStore(test.database.pool);
    signer = generateSigner(ORIGIN).signer;
    builder = new LedgerBuilder(events, store, { origin: ORIGIN, signers: [signer], checkpointEvery: 1000, checkpointIntervalMs: 10_000, pollIntervalMs: 10 });
    proofs = new LedgerProofs(store, events);
    audit = new LedgerAudit(events, store, { origin: ORIGIN, accepted: [signer], pageSize: 97 });
  });
  afterAll(() => test.close());

  it('given events, when the ledger catches up, then every stored event is one leaf in global order and the signed root is RFC 6962 over them', async () => {
    await write(600);
    const checkpoint = await builder.catchUp({ sign: 'now' });
    const { ids, leaves } = await logLeaves();
    expect(checkpoint?.size).toBe(600);
    expect(checkpoint!.root.equals(mth(leaves.slice(0, 600)))).toBe(true);
    expect(signedBy(checkpoint!.note, signer.publicKey, ORIGIN)).toBe(true);
    expect(parseCheckpointText(checkpoint!.note.split('\n\n')[0] + '\n', ORIGIN)).toEqual({ size: 600, root: checkpoint!.root });
    // The checkpoint left its own event in the log, which becomes the next leaf.
    expect(ids).toHaveLength(601);
    const [own] = await events.query({ eventIds: [ids[600]] });
    expect(own.type).toBe(CHECKPOINT_SIGNED);
    expect(own.data).toMatchObject({ origin: ORIGIN, size: 600, rootHash: b64(checkpoint!.root) });
    for (let i = 0; i < 600; i += 37) expect(await store.leafIndexOf(ids[i])).toBe(i);
  });

  it('inclusion proofs, receipts and consistency proofs are the RFC 9162 ones, for any leaf and any pair of sizes', async () => {
    await write(530, 'journal-b');
    const second = await builder.catchUp({ sign: 'now' });
    const { ids, leaves } = await logLeaves();
    expect(second?.size).toBe(1131);
    for (const index of [0, 1, 255, 256, 599, 600, 1130]) {
      const proof = await proofs.inclusion(ids[index]);
      expect(proof).toMatchObject({ leafIndex: index, treeSize: 1131, leafHash: b64(leaves[index]), rootHash: b64(second!.root) });
      expect(proof.proof).toEqual(path(index, leaves.slice(0, 1131)).map(b64));
      const atFirst = index < 600 ? await proofs.inclusion(ids[index], 600) : null;
      if (atFirst) expect(atFirst.proof).toEqual(path(index, leaves.slice(0, 600)).map(b64));
    }
    const receipt = await proofs.receipt(ids[300]);
    const [head, note] = [receipt.slice(0, receipt.indexOf('\n\n')), receipt.slice(receipt.indexOf('\n\n') + 2)];
    expect(head.split('\n')).toEqual(['c2sp.org/tlog-proof@v1', `extra ${b64(leaves[300])}`, 'index 300', ...path(300, leaves.slice(0, 1131)).map(b64)]);
    expect(note).toBe(second!.note);
    for (const [from, to] of [[600, 1131], [1, 1131], [256, 512], [1131, 1131], [7, 600]]) {
      const consistency = await proofs.consistency(from, to);
      expect(consistency.proof).toEqual(subproof(from, leaves.slice(0, to), true).map(b64));
      expect(consistency.fromRoot).toBe(b64(mth(leaves.slice(0, from))));
    }
  });

  it('proofs under one checkpoint read the tiles once (the right edge too), and stay right as the partial tiles grow', async () => {
    const fresh = new LedgerProofs(store, events);
    const tileReads = jest.spyOn(store, 'tiles');
    try {
      const proveAll = async (indexes: number[], size: number, leaves: Buffer[], ids: string[]) => {
        for (const index of indexes) expect((await fresh.inclusion(ids[index], size)).proof).toEqual(path(index, leaves.slice(0, size)).map(b64));
      };
      // A tree whose right edge is a partial tile, whatever the tests before wrote.
      await write(737 + (256 - (((await store.state()).size + 737) % 256)) + 77, 'journal-edge');
      await builder.catchUp({ sign: 'now' });
      let { ids, leaves } = await logLeaves();
      const size = (await store.state()).size;
      expect(size % 256).toBeGreaterThan(64); // (a checkpoint's own event may be among them)
      const indexes = [0, 3, 255, 256, 700, size - 1];
      await proveAll(indexes, size, leaves, ids);
      const warm = tileReads.mock.calls.length;
      await proveAll(indexes, size, leaves, ids);
      await fresh.consistency(600, size);
      expect(tileReads.mock.calls.length).toBe(warm);
      // The tree grows past the partial tile read: a proof at the new size reads the wider one.
      await write(90, 'journal-grow');
      await builder.catchUp({ sign: 'now' });
      ({ ids, leaves } = await logLeaves());
      const grown = (await store.state()).size;
      const beforeGrown = tileReads.mock.calls.length; // (the builder reads tiles too)
      await proveAll([...indexes, grown - 1], grown, leaves, ids);
      expect(tileReads.mock.calls.length).toBeGreaterThan(beforeGrown);
      await proveAll(indexes, size, leaves, ids);
    } finally {
      tileReads.mockRestore();
    }
  });

  it('refuses what it cannot prove: an unknown event (404), a tree larger than the ledger or without the leaf (400)', async () => {
    const { ids } = await logLeaves();
    await expect(proofs.inclusion('01890000-0000-7000-8000-000000000000')).rejects.toMatchObject({ status: 404 });
    await expect(proofs.inclusion(ids[0], 10 ** 9)).rejects.toMatchObject({ status: 400 });
    await expect(proofs.inclusion(ids[700], 600)).rejects.toMatchObject({ status: 400 });
    await expect(proofs.consistency(10, 5)).rejects.toMatchObject({ status: 400 });
  });

  it('serves tiles as C2SP tlog-tiles: full ones of 256 hashes, partial ones of the width asked, none past the tree', async () => {
    const { leaves } = await logLeaves();
    const { size } = await store.state();
    const full = await proofs.tile(0, 0);
    expect(full).toEqual(Buffer.concat(leaves.slice(0, 256)));
    const width = size % 256;
    expect(await proofs.tile(0, Math.floor(size / 256), width)).toEqual(Buffer.concat(leaves.slice(size - width, size)));
    expect(await proofs.tile(0, Math.floor(size / 256))).toBeNull();
    expect(await proofs.tile(1, 0, 4)).toEqual(Buffer.concat([0, 1, 2, 3].map((i) => mth(leaves.slice(i * 256, (i + 1) * 256)))));
    const bundle = (await proofs.entryBundle(0, 3))!;
    const first = bundle.readUInt16BE(0);
    expect(leafHash(bundle.subarray(2, 2 + first)).equals(leaves[0])).toBe(true);
  });

  it("a school's slice holds its entries with receipts, verifies offline, and fails at any change", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-slice-'));
    try {
      const slice = await exportSchoolSlice(store, events, proofs, SCHOOL_ID, dir, { vkey: signer.vkey });
      const checkpoint = (await store.latestCheckpoint())!;
      const schoolEvents = await events.query({ schoolId: SCHOOL_ID });
      const { ids } = await logLeaves();
      const expected = ids.slice(0, checkpoint.size).filter((id) => schoolEvents.some((e) => e.eventId === id)).length;
      expect(slice.entries).toBe(expected);
      expect(expected).toBeGreaterThan(1000);
      const report = await verifySliceDir(dir, { keys: [signer.vkey] });
      expect(report.indexes).toHaveLength(expected);
      // No event of no school is in it: leaf 600 is the first checkpoint's own event.
      expect((await readdir(join(dir, 'entries'))).includes('600')).toBe(false);

      const entry = join(dir, 'entries', String(report.indexes[7]));
      const original = await readFile(entry);
      await writeFile(entry, Buffer.from(original.toString('utf8').replace('"n":', '"m":'), 'utf8'));
      await expect(verifySliceDir(dir, { keys: [signer.vkey] })).rejects.toMatchObject({ leafIndex: report.indexes[7] });
      await writeFile(entry, original);
      await rm(join(dir, 'receipts', `${report.indexes[3]}.tlog-proof`));
      await expect(verifySliceDir(dir, { keys: [signer.vkey] })).rejects.toThrow(/has no receipt/);
      await expect(verifySliceDir(dir, { keys: [generateSigner(ORIGIN).signer.vkey] })).rejects.toThrow();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('under a steady stream of writes the running builder gathers them a poll at a time, not a transaction per few events', async () => {
    await builder.catchUp();
    const running = new LedgerBuilder(events, store, { origin: ORIGIN, signers: [signer], checkpointEvery: 100_000, checkpointIntervalMs: 60_000, pollIntervalMs: 100 });
    running.start();
    const started = performance.now();
    try {
      // Four writers back to back for 1.5 s: new events land during every turn of the builder.
      await Promise.all(
        [0, 1, 2, 3].map(async (writer) => {
          for (let n = 0; performance.now() - started < 1500; n++) {
            await events.append(`journal-stream-${writer}`, 'any', [{ type: 'MarkRecorded', data: { n } }], meta());
          }
        }),
      );
      await running.catchUp();
    } finally {
      await running.stop();
    }
    const seconds = (performance.now() - started) / 1000;
    // The shared builder learns that another one moved the ledger, then goes on from there.
    await builder.catchUp();
    await builder.catchUp();
    // Every event written is a leaf (the last checkpoint's own event may still be on its way).
    expect((await store.state()).size).toBeGreaterThanOrEqual((await logLeaves()).ids.length - 1);
    // A turn a poll (batches of up to 2,000, far more than 0.1 s of these writes): a builder that
    // turned again at once after any batch stored one every few events, a hundred and more here.
    expect(running.batchesStored).toBeGreaterThanOrEqual(1);
    expect(running.batchesStored).toBeLessThanOrEqual(Math.ceil(seconds / 0.1) + 3);
  });

  it('a second builder on the same tables never doubles or skips a leaf', async () => {
    await write(300, 'journal-c');
    const other = new LedgerBuilder(events, store, { origin: ORIGIN, signers: [signer], checkpointEvery: 1000, checkpointIntervalMs: 10_000, pollIntervalMs: 10, batchSize: 64 });
    await Promise.all([builder.catchUp(), other.catchUp(), builder.catchUp()]);
    await builder.catchUp({ sign: 'now' });
    const { leaves } = await logLeaves();
    const state = await store.state();
    expect(state.size).toBeGreaterThanOrEqual(leaves.length - 1);
    const latest = (await store.latestCheckpoint())!;
    expect(latest.root.equals(mth(leaves.slice(0, latest.size)))).toBe(true);
    expect(await audit.run()).toMatchObject({ brokenAt: null, reason: null });
  });

  describe('tampering with the database behind the service', () => {
    /** Runs a change with the append-only trigger off (as an attacker would), the audit, then puts things back. */
    async function tampered(change: string[], undo: string[], check: () => Promise<unknown> = () => audit.run()): Promise<{ brokenAt: number | null; reason: string | null }> {
      const pool = test.database.pool;
      await pool.query(`ALTER TABLE event_log DISABLE TRIGGER USER`);
      try {
        for (const sql of change) await pool.query(sql);
        return (await check()) as { brokenAt: number | null; reason: string | null };
      } finally {
        for (const sql of undo) await pool.query(sql);
        await pool.query(`ALTER TABLE event_log ENABLE TRIGGER USER`);
      }
    }

    /** The (tx_id, seq) keys of the log in global order. */
    async function keys(): Promise<string[]> {
      const { rows } = await test.database.pool.query<{ k: string }>(`SELECT tx_id::text || ',' || seq::text AS k FROM event_log ORDER BY tx_id, seq`);
      return rows.map((row) => row.k);
    }
    const where = (key: string) => `(tx_id, seq) = ('${key.split(',')[0]}'::xid8, ${key.split(',')[1]})`;

    beforeAll(async () => {
      await builder.catchUp({ sign: 'now' });
      await test.database.pool.query(`CREATE TABLE tamper_saved AS SELECT * FROM event_log WHERE false`);
    });

    it('the untouched ledger is whole', async () => {
      expect(await audit.run()).toMatchObject({ brokenAt: null, reason: null });
    });

    it('an export verifies with the independent verifier, and an export of a log changed behind the service fails at the changed leaf', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'ledger-export-'));
      try {
        await exportLedger(store, events, dir, { vkey: signer.vkey });
        const report = await verifyExportDir(dir, { keys: [signer.vkey] });
        expect(report.checkpoint.checkpoint.size).toBe(BigInt((await store.latestCheckpoint())!.size));
        const [key] = await keys().then((all) => [all[300]]);
        await tampered(
          [`DELETE FROM tamper_saved`, `INSERT INTO tamper_saved SELECT * FROM event_log WHERE ${where(key)}`, `UPDATE event_log SET envelope = replace(envelope, '"n":', '"m":') WHERE ${where(key)}`],
          [`DELETE FROM event_log WHERE ${where(key)}`, `INSERT INTO event_log SELECT * FROM tamper_saved`],
          async () => {
            await rm(dir, { recursive: true, force: true });
            await exportLedger(store, events, dir, { vkey: signer.vkey });
            await expect(verifyExportDir(dir, { keys: [signer.vkey] })).rejects.toMatchObject({ leafIndex: 300n });
          },
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('property: one byte flipped, an event deleted, two swapped or the tail cut off is found at the first leaf it touches', async () => {
      const size = (await store.state()).size;
      const log = await keys();
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('flip', 'delete', 'swap', 'truncate'), fc.integer({ min: 0, max: size - 2 }), fc.integer({ min: 1, max: 40 }), async (kind, index, span) => {
          const key = log[index];
          const other = log[Math.min(index + span, size - 1)];
          const save = [`DELETE FROM tamper_saved`, `INSERT INTO tamper_saved SELECT * FROM event_log WHERE ${where(key)} OR ${where(other)}`];
          const restore = [`DELETE FROM event_log WHERE ${where(key)} OR ${where(other)}`, `INSERT INTO event_log SELECT * FROM tamper_saved`];
          const changes: Record<string, { change: string[]; undo: string[] }> = {
            // One character of the stored text changed.
            flip: {
              change: [...save, `UPDATE event_log SET envelope = overlay(envelope placing (CASE WHEN substr(envelope, 12, 1) = 'x' THEN 'y' ELSE 'x' END) from 12 for 1) WHERE ${where(key)}`],
              undo: restore,
            },
            delete: { change: [...save, `DELETE FROM event_log WHERE ${where(key)}`], undo: restore },
            swap: {
              change: [
                ...save,
                `UPDATE event_log SET envelope = (SELECT envelope FROM tamper_saved WHERE ${where(other)}) WHERE ${where(key)}`,
                `UPDATE event_log SET envelope = (SELECT envelope FROM tamper_saved WHERE ${where(key)}) WHERE ${where(other)}`,
              ],
              undo: restore,
            },
            truncate: {
              change: [`DELETE FROM tamper_saved`, `INSERT INTO tamper_saved SELECT * FROM event_log WHERE (tx_id, seq) >= ('${key.split(',')[0]}'::xid8, ${key.split(',')[1]})`, `DELETE FROM event_log WHERE (tx_id, seq) >= ('${key.split(',')[0]}'::xid8, ${key.split(',')[1]})`],
              undo: [`INSERT INTO event_log SELECT * FROM tamper_saved`],
            },
          };
          if (kind === 'swap' && key === other) return;
          const outcome = await tampered(changes[kind].change, changes[kind].undo);
          expect(outcome.reason).not.toBeNull();
          expect(outcome.brokenAt).toBe(index);
        }),
        { numRuns: TEST_DATABASE_KIND === 'postgres' ? 24 : 12 },
      );
      expect(await audit.run()).toMatchObject({ brokenAt: null, reason: null });
    });

    it('leaves cut from the ledger (its state moved back under a signed checkpoint) are found', async () => {
      const pool = test.database.pool;
      const { size } = await store.state();
      await pool.query(`UPDATE ledger_state SET size = size - 5`);
      try {
        expect((await audit.run()).reason).toMatch(new RegExp(`holds ${size - 5} leaves: leaves were cut`));
      } finally {
        await pool.query(`UPDATE ledger_state SET size = $1`, [size]);
      }
      await pool.query(`DELETE FROM ledger_leaf WHERE idx = 77`);
      try {
        expect((await audit.run()).reason).toMatch(/index of events was changed/);
      } finally {
        await pool.query(`INSERT INTO ledger_leaf (idx, event_id) SELECT 77, event_id FROM event_log ORDER BY tx_id, seq OFFSET 77 LIMIT 1`);
      }
      expect(await audit.run()).toMatchObject({ reason: null });
    });

    it("the ledger's index of events changed (two leaves' events swapped) is found at the first of them", async () => {
      const pool = test.database.pool;
      const [a, b] = (await pool.query<{ event_id: string }>(`SELECT event_id::text AS event_id FROM ledger_leaf WHERE idx IN (40, 90) ORDER BY idx`)).rows.map((r) => r.event_id);
      const swap = async (x: string, y: string) => {
        await pool.query(`UPDATE ledger_leaf SET event_id = '00000000-0000-0000-0000-000000000001' WHERE idx = 40`);
        await pool.query(`UPDATE ledger_leaf SET event_id = $1 WHERE idx = 90`, [x]);
        await pool.query(`UPDATE ledger_leaf SET event_id = $1 WHERE idx = 40`, [y]);
      };
      await swap(a, b);
      try {
        expect(await audit.run()).toMatchObject({ brokenAt: 40, reason: expect.stringMatching(/index of events was changed/) });
      } finally {
        await swap(b, a);
      }
      expect(await audit.run()).toMatchObject({ reason: null });
    });

    it('a checkpoint replaced (another root, re-signed with another key) or a tile rewritten is found, and the builder refuses to sign after it', async () => {
      const latest = (await store.latestCheckpoint())!;
      const forged = signNote(`${ORIGIN}\n${latest.size}\n${b64(Buffer.alloc(32, 9))}\n`, [generateSigner(ORIGIN).signer]);
      const pool = test.database.pool;
      await pool.query(`UPDATE ledger_checkpoint SET note = $1, root = decode($2, 'hex') WHERE size = $3`, [forged, Buffer.alloc(32, 9).toString('hex'), latest.size]);
      const outcome = await audit.run();
      expect(outcome.reason).toMatch(new RegExp(`checkpoint of size ${latest.size} is not signed by the ledger's keys`));
      await write(5, 'journal-d');
      // A builder starting now (this one remembers the true checkpoint) reads the forged one.
      const restarted = new LedgerBuilder(events, store, { origin: ORIGIN, signers: [signer], checkpointEvery: 1000, checkpointIntervalMs: 10_000, pollIntervalMs: 10 });
      await expect(restarted.catchUp({ sign: 'now' })).rejects.toBeInstanceOf(LedgerInconsistentError);
      expect((await restarted.status()).inconsistent).toMatch(/not signed by this ledger's keys/);
      await pool.query(`UPDATE ledger_checkpoint SET note = $1, root = decode($2, 'hex') WHERE size = $3`, [latest.note, latest.root.toString('hex'), latest.size]);

      // A level-1 tile changed: the tree no longer gives the signed root.
      await pool.query(`UPDATE ledger_tile SET hashes = set_byte(hashes, 0, (get_byte(hashes, 0) + 1) % 256) WHERE level = 1 AND idx = 0`);
      expect((await audit.run()).reason).toMatch(/tile 1\/0 hash 0 is not the root of tile 0\/0/);
      await expect(builder.catchUp({ sign: 'now' })).rejects.toBeInstanceOf(LedgerInconsistentError);
      expect((await builder.status()).inconsistent).toMatch(/does not contain the checkpoint/);
    });
  });
});

describe(`checkpoints of the audit ledger come only with new events (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  afterAll(() => test?.close());

  it('with a checkpoint due every leaf, the checkpoint\'s own event does not make the next one due', async () => {
    test = await openTestDatabase({ poolSize: 4 });
    const events = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
    const store = new LedgerStore(test.database.pool);
    const builder = new LedgerBuilder(events, store, { origin: ORIGIN, signers: [generateSigner(ORIGIN).signer], checkpointEvery: 1, checkpointIntervalMs: 0, pollIntervalMs: 10 });
    await events.append('journal-e', 'any', [{ type: 'MarkRecorded', data: {} }], meta());
    expect((await builder.catchUp())?.size).toBe(1);
    // Its event is leaf 1: nothing else came, so nothing is signed, however often it looks.
    expect(await builder.catchUp()).toBeNull();
    expect(await builder.catchUp()).toBeNull();
    expect((await store.allCheckpoints()).map((c) => c.size)).toEqual([1]);
  });
});

describe(`a key rotation of the audit ledger (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  afterAll(() => test?.close());

  it('overlapping signatures during the rotation, the old key retired after: every checkpoint stays trusted, and only by the keys it names', async () => {
    test = await openTestDatabase({ poolSize: 4 });
    const events = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
    const store = new LedgerStore(test.database.pool);
    const old = generateSigner(ORIGIN).signer;
    const next = generateSigner(ORIGIN).signer;
    const builder = (signers: NoteSigner[], accepted = signers) => new LedgerBuilder(events, store, { origin: ORIGIN, signers, accepted, checkpointEvery: 1000, checkpointIntervalMs: 10_000, pollIntervalMs: 10 });
    const append = () => events.append('journal-r', 'any', [{ type: 'MarkRecorded', data: {} }], meta());

    await append();
    const first = (await builder([old]).catchUp({ sign: 'now' }))!;
    await append();
    // The overlap: the new key first, the old one beside it, on the same note.
    const overlap = (await builder([next, old]).catchUp({ sign: 'now' }))!;
    expect(signedBy(overlap.note, next.publicKey, ORIGIN) && signedBy(overlap.note, old.publicKey, ORIGIN)).toBe(true);
    await append();
    // Retired: the old key signs no more, and is still accepted for what it signed.
    const after = (await builder([next], [next, old]).catchUp({ sign: 'now' }))!;
    expect(signedBy(after.note, old.publicKey, ORIGIN)).toBe(false);
    expect(first.size < overlap.size && overlap.size < after.size).toBe(true);

    const audit = (accepted: NoteSigner[]) => new LedgerAudit(events, store, { origin: ORIGIN, accepted }).run();
    expect(await audit([next, old])).toMatchObject({ reason: null });
    expect((await audit([next])).reason).toMatch(new RegExp(`checkpoint of size ${first.size} is not signed`));
    // A builder that forgot the old key refuses to go on from its checkpoints: nothing is signed on trust.
    await append();
    await expect(builder([generateSigner(ORIGIN).signer]).catchUp({ sign: 'now' })).rejects.toBeInstanceOf(LedgerInconsistentError);
  });
});
