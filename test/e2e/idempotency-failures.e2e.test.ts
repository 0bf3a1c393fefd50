import { ManualClock } from '../../src/common/clock';
import { Database, DATABASE } from '../../src/database/database';
import { SqlPool, SqlResult } from '../../src/database/sql-pool';
import { StoredEvent } from '../../src/event-store/envelope';
import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, PASSWORD, SchoolWorld } from '../support/school-fixture';

type Query = (sql: string, params?: unknown[]) => Promise<SqlResult<unknown>>;

/**
 * Failure injection at the database the service talks to: the next query whose text matches is
 * handed to `act` instead (which may run it, fail, or never answer). Every other query runs as is.
 */
function interceptQueries(pool: SqlPool) {
  const real: Query = pool.query.bind(pool);
  const rules: { match: RegExp; act: (run: () => Promise<SqlResult<unknown>>, params: unknown[]) => Promise<SqlResult<unknown>> }[] = [];
  const spy = jest.spyOn(pool, 'query').mockImplementation(((sql: string, params: unknown[] = []) => {
    const index = rules.findIndex((rule) => rule.match.test(sql));
    if (index < 0) return real(sql, params);
    const [rule] = rules.splice(index, 1);
    return rule.act(() => real(sql, params), params);
  }) as SqlPool['query']);
  return {
    next: (match: RegExp, act: (run: () => Promise<SqlResult<unknown>>, params: unknown[]) => Promise<SqlResult<unknown>>) => rules.push({ match, act }),
    restore: () => spy.mockRestore(),
  };
}

const FINISH = /SET state = 'done'/;
const TAKE_OVER = /UPDATE idempotency_record SET created_at/;
const never = () => new Promise<never>(() => undefined);

/**
 * Issue 13: an Idempotency-Key makes a retry safe when the first attempt crashed after its append,
 * when recording its answer failed, and when two retries race after the first was given up on.
 * Each case retries with the same key and finds one operation in the log and a 200 replay.
 */
describe(`Idempotency-Key under failures (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let world: SchoolWorld;
  let client: ReturnType<typeof api>;
  let store: EventStore;
  let pool: SqlPool;
  let s: string;
  let lesson: string;
  const clock = new ManualClock('2026-09-14T06:00:00.000Z');
  /** Past the window after which a silent first attempt is taken over (120 s by default). */
  const pastTheWindow = () => clock.advance(121_000);

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD }, clock });
    client = api(subject.server);
    world = await buildSchool(subject.server);
    store = subject.app.get<EventStore>(EVENT_STORE);
    pool = subject.app.get<Database>(DATABASE).pool;
    s = `/schools/${world.schoolId}`;
    const answer = await client.post(`${s}/groups/${world.groupId}/lessons`, world.tokens.assignedTeacher, { date: '2026-09-14', slot: 1, topic: 'Дроби' });
    lesson = answer.body.id;
  });
  afterAll(async () => subject?.close());

  const journal = () => store.readStream(`journal-${world.groupId}-${world.periodIds[0]}`);
  const ofType = (events: readonly StoredEvent[], type: string) => events.filter((e) => e.type === type);
  /** Sends a request through Fastify's inject, for one that will never be answered (a frozen process). */
  const sendAndForget = (path: string, token: string | null, key: string, body: object) =>
    void subject.app
      .getHttpAdapter()
      .getInstance()
      .inject({ method: 'POST', url: `/api/v1${path}`, headers: { authorization: `Bearer ${token}`, 'idempotency-key': key, 'content-type': 'application/json' }, payload: JSON.stringify(body) });
  const until = async (condition: () => Promise<boolean>) => {
    for (let i = 0; i < 500 && !(await condition()); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await condition()).toBe(true);
  };

  it('a crash between the append and recording the answer: the retry after the window replays the first answer, the mark is corrected once', async () => {
    const mark = await client.post(`${s}/lessons/${lesson}/marks`, world.tokens.assignedTeacher, { studentId: world.studentId, value: 4, workKind: 'oral' }).expect(201);
    const corrections = `${s}/marks/${mark.body.id}/corrections`;
    const body = { value: 5, reason: 'пересмотр' };
    const queries = interceptQueries(pool);
    let firstAnswer: unknown;
    // The process freezes for good right after its append: neither the answer nor a release is recorded.
    queries.next(FINISH, (_, params) => {
      firstAnswer = JSON.parse(params[2] as string);
      return never();
    });
    try {
      sendAndForget(corrections, world.tokens.assignedTeacher, 'crash-1', body);
      await until(async () => firstAnswer !== undefined);
    } finally {
      queries.restore();
    }
    const corrected = () => journal().then((events) => ofType(events, 'MarkCorrected').filter((e) => (e.data as { markId: string }).markId === mark.body.id));
    expect(await corrected()).toHaveLength(1);
    const early = await client.post(corrections, world.tokens.assignedTeacher, body).set('Idempotency-Key', 'crash-1').expect(409);
    expect(early.body.code).toBe('IDEMPOTENCY_IN_PROGRESS');
    pastTheWindow();
    const retry = await client.post(corrections, world.tokens.assignedTeacher, body).set('Idempotency-Key', 'crash-1');
    expect({ status: retry.status, body: retry.body }).toEqual({ status: 200, body: firstAnswer });
    expect(await corrected()).toHaveLength(1);
    await client.post(corrections, world.tokens.assignedTeacher, body).set('Idempotency-Key', 'crash-1').expect(200, firstAnswer as object);
  });

  it('recording the answer fails after the write: the client still gets the write, a retry replays it, one lesson and one index entry', async () => {
    const lessons = `${s}/groups/${world.groupId}/lessons`;
    const body = { date: '2026-09-15', slot: 2, topic: 'Проценты' };
    const before = await journal();
    const queries = interceptQueries(pool);
    queries.next(FINISH, () => Promise.reject(new Error('injected: the idempotency table is unavailable')));
    let first;
    try {
      first = await client.post(lessons, world.tokens.assignedTeacher, body).set('Idempotency-Key', 'finish-1');
    } finally {
      queries.restore();
    }
    // The lesson is written: answering 500 would make the client believe it was not.
    expect(first.status).toBe(201);
    const retry = await client.post(lessons, world.tokens.assignedTeacher, body).set('Idempotency-Key', 'finish-1');
    expect({ status: retry.status, body: retry.body }).toEqual({ status: 200, body: first.body });
    const after = await journal();
    expect(ofType(after, 'LessonRecorded').length - ofType(before, 'LessonRecorded').length).toBe(1);
    expect(await store.readStream(`entity-${first.body.id}`)).toHaveLength(1);
  });

  it('two retries racing after the window: exactly one takes the key over; one mark, and the first answer replayed', async () => {
    const marks = `${s}/lessons/${lesson}/marks`;
    const body = { studentId: world.studentId, value: 3, workKind: 'test' };
    const recorded = () => journal().then((events) => ofType(events, 'MarkRecorded').filter((e) => (e.data as { workKind: string }).workKind === 'test'));
    const queries = interceptQueries(pool);
    let firstAnswer: unknown;
    queries.next(FINISH, (_, params) => {
      firstAnswer = JSON.parse(params[2] as string);
      return never();
    });
    sendAndForget(marks, world.tokens.assignedTeacher, 'race-1', body);
    await until(async () => firstAnswer !== undefined);
    pastTheWindow();
    // Both retries have read the abandoned claim before either takes it over.
    let arrived = 0;
    let bothThere!: () => void;
    const gate = new Promise<void>((resolve) => (bothThere = resolve));
    const atTheGate = (run: () => Promise<SqlResult<unknown>>) => {
      if (++arrived === 2) bothThere();
      return gate.then(run);
    };
    queries.next(TAKE_OVER, atTheGate);
    queries.next(TAKE_OVER, atTheGate);
    let answers;
    try {
      answers = await Promise.all([1, 2].map(() => client.post(marks, world.tokens.assignedTeacher, body).set('Idempotency-Key', 'race-1')));
    } finally {
      queries.restore();
    }
    expect(answers.map((a) => [a.status, a.body.code]).sort()).toEqual([
      [200, undefined],
      [409, 'IDEMPOTENCY_IN_PROGRESS'],
    ]);
    expect(answers.find((a) => a.status === 200)!.body).toEqual(firstAnswer);
    expect(await recorded()).toHaveLength(1);
    await client.post(marks, world.tokens.assignedTeacher, body).set('Idempotency-Key', 'race-1').expect(200, firstAnswer as object);
  });

  it('a write to two streams failing between them (entity index, then journal): the retry completes it with one index entry', async () => {
    const lessons = `${s}/groups/${world.groupId}/lessons`;
    const body = { date: '2026-09-16', slot: 3, topic: 'Углы' };
    // Counted in the table itself: the store's reads stop at the horizon of transactions still running.
    const indexed = async () => (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_log WHERE type = 'EntityIndexed'`)).rows[0].n;
    const before = await indexed();
    const realAppend = store.append.bind(store);
    const append = jest.spyOn(store, 'append').mockImplementation(async (stream, expected, events, meta) => {
      if (!stream.startsWith('journal-')) return realAppend(stream, expected, events, meta);
      append.mockRestore();
      throw new Error('injected: the process fails after the index entry');
    });
    await client.post(lessons, world.tokens.assignedTeacher, body).set('Idempotency-Key', 'two-streams-1').expect(500);
    append.mockRestore();
    const retry = await client.post(lessons, world.tokens.assignedTeacher, body).set('Idempotency-Key', 'two-streams-1').expect(201);
    expect(await indexed()).toBe(before + 1);
    expect(await store.readStream(`entity-${retry.body.id}`)).toHaveLength(1);
    expect(ofType(await journal(), 'LessonRecorded').filter((e) => (e.data as { slot: number }).slot === 3)).toHaveLength(1);
  });

  describe('POST /incidents', () => {
    const target = async (login: string) => {
      await client.post(`${s}/accounts`, world.tokens.admin, { login, password: PASSWORD, fullName: login, roles: ['teacher'] }).expect(201);
      return (await client.get('/auth/me', await client.login(login))).body.accountId as string;
    };
    const reports = async (accountId: string) => ofType(await store.readStream(`account-${accountId}`), 'CredentialCompromiseReported');

    it('a failure after the append is no INCIDENT_OPEN on the retry: 200 with the first answer, one incident', async () => {
      const accountId = await target('idem-incident-1');
      const body = { accountId, note: 'пароль на стикере' };
      const query = jest.spyOn(store, 'query').mockRejectedValueOnce(new Error('injected: counting the voided events fails'));
      await client.post(`${s}/incidents`, world.tokens.securityOfficer, body).set('Idempotency-Key', 'incident-1').expect(500);
      query.mockRestore();
      const retry = await client.post(`${s}/incidents`, world.tokens.securityOfficer, body).set('Idempotency-Key', 'incident-1');
      expect(retry.status).toBe(200);
      const [report] = await reports(accountId);
      expect(retry.body).toMatchObject({ id: (report.data as { incidentId: string }).incidentId, eventIds: [report.eventId], voidedCount: 0 });
      expect(await reports(accountId)).toHaveLength(1);
      expect(await store.readStream(`entity-${retry.body.id}`)).toHaveLength(1);
    });

    it('a failure between its two streams (incident index, then account): the retry reports once', async () => {
      const accountId = await target('idem-incident-2');
      const body = { accountId };
      const realAppend = store.append.bind(store);
      const append = jest.spyOn(store, 'append').mockImplementation(async (stream, expected, events, meta) => {
        if (!stream.startsWith('account-')) return realAppend(stream, expected, events, meta);
        append.mockRestore();
        throw new Error('injected: the process fails after the index entry');
      });
      await client.post(`${s}/incidents`, world.tokens.securityOfficer, body).set('Idempotency-Key', 'incident-2').expect(500);
      append.mockRestore();
      const retry = await client.post(`${s}/incidents`, world.tokens.securityOfficer, body).set('Idempotency-Key', 'incident-2').expect(201);
      expect(await reports(accountId)).toHaveLength(1);
      expect((await reports(accountId))[0].data).toMatchObject({ incidentId: retry.body.id });
      expect(await store.readStream(`entity-${retry.body.id}`)).toHaveLength(1);
    });
  });
});
