import request from 'supertest';
import { Database, DATABASE } from '../../src/database/database';
import { LedgerAudit } from '../../src/ledger/ledger-audit';
import { ERASED_TEXT } from '../../src/privacy/domain/personal-fields';
import { verifyReceipt } from '../../src/verifier/receipt';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, PASSWORD, SchoolWorld } from '../support/school-fixture';

/**
 * Issue 15 item 8 (152-ФЗ): personal data is sealed per person before it reaches the log; erasing a
 * person destroys their key, their events stay in the ledger with every proof intact, and no table
 * of the database holds their data in clear — not before the erasure, not after.
 */
describe(`erasure of personal data (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let world: SchoolWorld;
  let client: ReturnType<typeof api>;
  let database: Database;
  let s: string;
  let markId: string;
  let periodId: string;
  const REASON = 'справка из поликлиники №7 о болезни';

  /** The tables (schema public) whose rows, as text, contain `needle`: where a plaintext would be found. */
  async function tablesHolding(needle: string): Promise<string[]> {
    const { rows: tables } = await database.pool.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`);
    const holding: string[] = [];
    for (const { name } of tables) {
      const { rows } = await database.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM "${name}" t WHERE t::text LIKE $1`, [`%${needle}%`]);
      if (rows[0].n !== '0') holding.push(name);
    }
    return holding;
  }

  const eventOf = async (type: string, field: string, id: string) =>
    (await database.pool.query<{ event_id: string; envelope: string }>(`SELECT event_id::text, envelope FROM event_log WHERE type = $1 AND (envelope::jsonb)->'data'->>$2 = $3`, [type, field, id])).rows[0];

  async function receiptOf(eventId: string): Promise<string> {
    for (let attempt = 0; attempt < 300; attempt++) {
      const answer = await request(subject.server).get(`/api/v1/ledger/receipts/${eventId}`);
      if (answer.status === 200) return answer.text;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('no checkpoint covered the event within 30 s');
  }

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD, LEDGER_CHECKPOINT_SECONDS: '1', LEDGER_POLL_MS: '20' } });
    database = subject.app.get<Database>(DATABASE);
    world = await buildSchool(subject.server, 'pd');
    client = api(subject.server);
    s = `/schools/${world.schoolId}`;
    periodId = world.periodIds[1];
    const lesson = await client.post(`${s}/groups/${world.groupId}/lessons`, world.tokens.assignedTeacher, { date: '2026-12-01', slot: 1, topic: 'Дроби' }).expect(201);
    markId = (await client.post(`${s}/lessons/${lesson.body.id}/marks`, world.tokens.assignedTeacher, { studentId: world.studentId, value: 3, workKind: 'oral' }).expect(201)).body.id;
    await client.post(`${s}/marks/${markId}/corrections`, world.tokens.deputy, { value: 4, reason: REASON }).expect(201);
  });
  afterAll(async () => subject?.close());

  it('keeps names, birth dates, logins and reasons about a person only sealed: no table holds them in clear, the answers show them', async () => {
    for (const plain of ['Иванов Иван', '2015-03-14', REASON, 'Person pd-parent', '"pd-parent"']) expect({ plain, tables: await tablesHolding(plain) }).toEqual({ plain, tables: [] });
    const admitted = await eventOf('StudentAdmitted', 'studentId', world.studentId);
    expect(JSON.parse(admitted.envelope).data.fullName).toMatchObject({ $sealed: 'aes-256-gcm/v1', person: `student:${world.studentId}` });

    const roster = await client.get(`${s}/classes/${world.classId}`, world.tokens.deputy).expect(200);
    expect(roster.body.students.find((st: { id: string }) => st.id === world.studentId)).toMatchObject({ fullName: 'Иванов Иван', birthDate: '2015-03-14' });
  });

  it('erases a student: the key is destroyed, every view reads them as erased, the proofs of their events still verify', async () => {
    const admitted = await eventOf('StudentAdmitted', 'studentId', world.studentId);
    const key = (await request(subject.server).get('/api/v1/ledger/key')).text.trim();
    const before = await receiptOf(admitted.event_id);
    expect(verifyReceipt(before, { keys: [key], entry: Buffer.from(admitted.envelope, 'utf8') })).toMatchObject({ entryChecked: true });

    await client.post(`${s}/students/${world.studentId}/erasure`, world.tokens.deputy, { basis: 'retention-expired' }).expect(403);
    const bad = await client.post(`${s}/students/${world.studentId}/erasure`, world.tokens.director, { basis: 'because' }).expect(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ field: 'basis' })]);
    await client.post(`${s}/students/${world.otherSchoolId}/erasure`, world.tokens.director, { basis: 'retention-expired' }).expect(404);
    const erased = await client.post(`${s}/students/${world.studentId}/erasure`, world.tokens.director, { basis: 'retention-expired' }).expect(201);
    expect(erased.body).toMatchObject({ id: world.studentId, eventIds: [expect.any(String)] });
    await client.post(`${s}/students/${world.studentId}/erasure`, world.tokens.director, { basis: 'retention-expired' }).expect(409);

    const { rows: keys } = await database.pool.query(`SELECT wrapped_key, erased_at FROM personal_data_key WHERE person = $1`, [`student:${world.studentId}`]);
    expect(keys).toEqual([{ wrapped_key: null, erased_at: expect.anything() }]);

    const roster = await client.get(`${s}/classes/${world.classId}`, world.tokens.deputy).expect(200);
    expect(roster.body.students.find((st: { id: string }) => st.id === world.studentId)).toMatchObject({ fullName: ERASED_TEXT, birthDate: null });
    // Another student is untouched.
    const other = await client.get(`${s}/classes/${world.otherClassId}`, world.tokens.deputy).expect(200);
    expect(other.body.students[0]).toMatchObject({ fullName: 'Петров Пётр' });
    const grid = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${periodId}&atLeast=${erased.body.position}`, world.tokens.deputy).expect(200);
    const row = grid.body.students.find((st: { id: string }) => st.id === world.studentId);
    expect(row).toMatchObject({ fullName: ERASED_TEXT, marks: [expect.objectContaining({ id: markId, value: 4 })] });
    const audit = await client.get(`${s}/audit/corrections?atLeast=${erased.body.position}`, world.tokens.director).expect(200);
    expect(audit.body.items.find((c: { entityId: string }) => c.entityId === markId)).toMatchObject({ reason: ERASED_TEXT, after: 4 });
    const log = await client.get(`${s}/audit/events?type=StudentAdmitted`, world.tokens.director).expect(200);
    expect(log.body.items.find((e: { data: { studentId: string } }) => e.data.studentId === world.studentId).data).toMatchObject({ fullName: ERASED_TEXT, birthDate: null });

    // Nothing new is recorded about an erased person.
    await client.post(`${s}/marks/${markId}/corrections`, world.tokens.deputy, { value: 5, reason: 'ещё одна причина' }).expect(409);

    // Their events stay in the log, byte for byte, and in the ledger: the receipt taken before still verifies, and a new one.
    const still = await eventOf('StudentAdmitted', 'studentId', world.studentId);
    expect(still.envelope).toBe(admitted.envelope);
    expect(verifyReceipt(await receiptOf(admitted.event_id), { keys: [key], entry: Buffer.from(still.envelope, 'utf8') })).toMatchObject({ entryChecked: true });
    await subject.app.get(LedgerAudit).run();
    const health = await request(subject.server).get('/health');
    expect(health.body.info?.ledger ?? health.body.details?.ledger).toMatchObject({ status: 'up' });

    for (const plain of ['Иванов Иван', '2015-03-14', REASON]) expect({ plain, tables: await tablesHolding(plain) }).toEqual({ plain, tables: [] });
  });

  it('erases an account only once blocked: it can never sign in again and reads as erased', async () => {
    const parent = world.accounts.parent;
    const active = await client.post(`${s}/accounts/${parent}/erasure`, world.tokens.director, { basis: 'subject-request' }).expect(409);
    expect(active.body.code).toBe('ACCOUNT_ACTIVE');
    const incident = await client.post(`${s}/incidents`, world.tokens.director, { accountId: parent, note: 'Родитель Person pd-parent сообщил о краже телефона' }).expect(201);
    await client.post(`${s}/accounts/${world.accounts.otherSchool}/erasure`, world.tokens.director, { basis: 'subject-request' }).expect(404);
    await client.post(`${s}/accounts/${parent}/erasure`, world.tokens.director, { basis: 'subject-request' }).expect(201);

    const login = await request(subject.server).post('/api/v1/auth/login').send({ login: 'pd-parent', password: PASSWORD });
    expect(login.status).toBe(401);
    const account = await client.get(`${s}/accounts/${parent}`, world.tokens.director).expect(200);
    expect(account.body).toMatchObject({ login: ERASED_TEXT, fullName: ERASED_TEXT, status: 'blocked' });
    const incidents = await client.get(`${s}/incidents?atLeast=${incident.body.position}`, world.tokens.director).expect(200);
    expect(incidents.body.items.find((i: { accountId: string }) => i.accountId === parent).note).toBe(ERASED_TEXT);
    await client.post(`${s}/accounts/${parent}/credentials`, world.tokens.sysadmin, { password: 'a-new-long-password' }).expect(409);
    for (const plain of ['Person pd-parent', 'краже телефона', '"pd-parent"']) expect({ plain, tables: await tablesHolding(plain) }).toEqual({ plain, tables: [] });
    const { rows } = await database.pool.query(`SELECT count(*)::int AS n FROM account_credential WHERE account_id = $1`, [parent]);
    expect(rows[0].n).toBe(0);
  });
});
