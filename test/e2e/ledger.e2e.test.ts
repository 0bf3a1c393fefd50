import request from 'supertest';
import { Database, DATABASE } from '../../src/database/database';
import { LedgerAudit } from '../../src/ledger/ledger-audit';
import { trustPolicy, verifyCheckpoint } from '../../src/verifier/checkpoint';
import { verifyConsistency, verifyInclusion } from '../../src/verifier/merkle';
import { verifyReceipt } from '../../src/verifier/receipt';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api } from '../support/school-fixture';

/** The ledger over HTTP, as a client without a token sees it (API.md: `/ledger/*` is open). */
describe(`the audit ledger over HTTP (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let eventId: string;

  const get = (path: string) =>
    request(subject.app.getHttpServer())
      .get(`/api/v1/ledger/${path}`)
      .buffer(true)
      .parse((res, done) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => done(null, Buffer.concat(chunks)));
      });
  const json = async (path: string) => {
    const answer = await get(path);
    return { status: answer.status, body: JSON.parse((answer.body as Buffer).toString('utf8')) as Record<string, unknown> };
  };

  /** The latest checkpoint once it covers `size` leaves (the builder signs every second here). */
  async function checkpointCovering(size: number): Promise<string> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const answer = await get('checkpoint');
      if (answer.status === 200) {
        const text = (answer.body as Buffer).toString('utf8');
        if (Number(text.split('\n')[1]) >= size) return text;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`no checkpoint of ${size} leaves within 10 s`);
  }

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD, LEDGER_CHECKPOINT_SECONDS: '1', LEDGER_POLL_MS: '20', LEDGER_ORIGIN: 'zhurnal.test/school-ledger' } });
    const client = api(subject.app.getHttpServer());
    const admin = await client.login('admin', ADMIN_PASSWORD);
    const created = await client.post('/schools', admin, { name: 'Школа леджера' });
    expect(created.status).toBe(201);
    eventId = (created.body as { eventIds: string[] }).eventIds[0];
  });
  afterAll(async () => subject?.close());

  it('signs checkpoints (C2SP tlog-checkpoint) with the key it publishes, and lists them', async () => {
    const note = await checkpointCovering(2);
    const key = (await get('key')).body.toString('utf8');
    expect(key).toMatch(/^zhurnal\.test\/school-ledger\+[0-9a-f]{8}\+[A-Za-z0-9+/]+=*\n$/);
    const [origin, size, root, blank, signature] = note.split('\n');
    expect(origin).toBe('zhurnal.test/school-ledger');
    expect(Number(size)).toBeGreaterThan(1);
    expect(Buffer.from(root, 'base64')).toHaveLength(32);
    expect(blank).toBe('');
    expect(signature).toMatch(/^\u2014 zhurnal\.test\/school-ledger [A-Za-z0-9+/]+=*$/);
    expect((await get('checkpoint')).headers['content-type']).toBe('text/plain; charset=utf-8');
    // The independent verifier (src/verifier, no code shared with the writer) accepts it with the published key.
    expect(verifyCheckpoint(note, trustPolicy([key.trim()])).checkpoint.size).toBe(BigInt(size));
    const listed = await json('checkpoints?from=0');
    expect(listed.status).toBe(200);
    expect((listed.body.items as Array<{ size: number; rootHash: string; note: string }>).some((c) => c.note === note && c.rootHash === root)).toBe(true);
  });

  /** The inclusion proof of the school's creation once a checkpoint covers it. */
  async function provenInclusion() {
    for (let attempt = 0; attempt < 100; attempt++) {
      const answer = await json(`proofs/inclusion?eventId=${eventId}`);
      if (answer.status !== 503) return answer;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('no checkpoint covered the event within 10 s');
  }

  it('answers inclusion and consistency proofs, receipts and tiles without a token', async () => {
    const inclusion = await provenInclusion();
    expect(inclusion.status).toBe(200);
    expect(inclusion.body).toMatchObject({ eventId, leafIndex: expect.any(Number), treeSize: expect.any(Number), leafHash: expect.any(String), rootHash: expect.any(String) });
    const treeSize = inclusion.body.treeSize as number;
    const consistency = await json(`proofs/consistency?from=1&to=${treeSize}`);
    expect(consistency.status).toBe(200);
    expect(consistency.body).toMatchObject({ from: 1, to: treeSize, toRoot: inclusion.body.rootHash });

    const receipt = await get(`receipts/${eventId}`);
    expect(receipt.status).toBe(200);
    const text = receipt.body.toString('utf8');
    expect(text.split('\n').slice(0, 3)).toEqual(['c2sp.org/tlog-proof@v1', `extra ${inclusion.body.leafHash}`, `index ${inclusion.body.leafIndex}`]);

    // Each answer checks out with the independent verifier; the receipt even with the event's stored bytes and no service.
    const key = (await get('key')).body.toString('utf8').trim();
    const b = (hash: string) => Buffer.from(hash, 'base64');
    const { leafIndex, leafHash, rootHash, proof } = inclusion.body as { leafIndex: number; leafHash: string; rootHash: string; proof: string[] };
    verifyInclusion(BigInt(leafIndex), BigInt(treeSize), b(leafHash), proof.map(b), b(rootHash));
    const c = consistency.body as { fromRoot: string; toRoot: string; proof: string[] };
    if (treeSize > 1) verifyConsistency(1n, BigInt(treeSize), b(c.fromRoot), b(c.toRoot), c.proof.map(b));
    const { rows } = await subject.app.get<Database>(DATABASE).pool.query<{ envelope: string }>(`SELECT envelope FROM event_log WHERE event_id = $1`, [eventId]);
    expect(verifyReceipt(text, { keys: [key], entry: Buffer.from(rows[0].envelope, 'utf8') })).toMatchObject({ entryChecked: true });
    expect(() => verifyReceipt(text, { keys: [key], entry: Buffer.from(rows[0].envelope.replace('леджера', 'подделки'), 'utf8') })).toThrow();

    const width = treeSize % 256;
    const tile = await get(width === 0 ? 'tile/0/000' : `tile/0/000.p/${width}`);
    expect(tile.status).toBe(200);
    expect(tile.headers['content-type']).toBe('application/octet-stream');
    expect(tile.body).toHaveLength((width || 256) * 32);
    expect(tile.body.subarray((inclusion.body.leafIndex as number) * 32, (inclusion.body.leafIndex as number) * 32 + 32).toString('base64')).toBe(inclusion.body.leafHash);
  });

  it('refuses bad input with 400 naming the field, an unknown event with 404, a tile it does not have with 404, and entry bundles to anyone without a token', async () => {
    expect((await json('proofs/inclusion')).body).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field: 'eventId' })] });
    expect((await json(`proofs/inclusion?eventId=${eventId}&treeSize=abc`)).status).toBe(400);
    expect((await json(`proofs/inclusion?eventId=${eventId}&treeSize=999999999`)).body).toMatchObject({ code: 'VALIDATION_FAILED', details: [expect.objectContaining({ field: 'treeSize' })] });
    expect((await json('proofs/consistency?from=5&to=2')).status).toBe(400);
    expect((await json('proofs/inclusion?eventId=01890000-0000-7000-8000-000000000000')).status).toBe(404);
    const notUuid = await json('receipts/not-a-uuid');
    expect({ status: notUuid.status, body: notUuid.body }).toMatchObject({ status: 400, body: { code: 'VALIDATION_FAILED', details: [{ field: 'eventId' }] } });
    expect((await json('tile/0/x999/999')).status).toBe(404);
    expect((await json('tile/0/1')).status).toBe(404);
    expect((await json('tile/0/000.p/0')).status).toBe(404);
    expect((await json('tile/entries/000.p/1')).status).toBe(401);
  });

  it('/health says the ledger is whole, and "broken at index N" once an event was changed behind the service', async () => {
    const healthy = await request(subject.app.getHttpServer()).get('/health');
    expect(healthy.status).toBe(200);
    expect(healthy.body.info.ledger).toMatchObject({ status: 'up', role: 'builder' });
    const { leafIndex } = (await provenInclusion()).body as { leafIndex: number };

    const pool = subject.app.get<Database>(DATABASE).pool;
    await pool.query(`ALTER TABLE event_log DISABLE TRIGGER USER`);
    await pool.query(`UPDATE event_log SET envelope = replace(envelope, 'Школа леджера', 'Школа подделки') WHERE event_id = $1`, [eventId]);
    await pool.query(`ALTER TABLE event_log ENABLE TRIGGER USER`);
    await subject.app.get(LedgerAudit).run();

    const broken = await request(subject.app.getHttpServer()).get('/health');
    expect(broken.status).toBe(503);
    expect(broken.body.error.ledger).toMatchObject({ status: 'down', brokenAt: leafIndex, reason: expect.stringMatching(new RegExp(`^broken at index ${leafIndex}: `)) });
  });
});
