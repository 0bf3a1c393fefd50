import { v7 as uuidv7 } from 'uuid';
import { accountDecider, accountStream, decideAccount } from '../../src/accounts/domain/account.decider';
import { Database, DATABASE } from '../../src/database/database';
import { EventSourcedRepository } from '../../src/event-store/event-sourced-repository';
import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { StreamFreshness } from '../../src/event-store/stream-freshness';
import { decideSchool, schoolDecider, schoolStream } from '../../src/school/domain/school.decider';
import { ProjectionRunner } from '../../projections/projection-runner';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, PASSWORD, SchoolWorld } from '../support/school-fixture';

/**
 * Reads (GET without atLeast) use cached account and school states and built views while they are
 * known fresh. These tests pin what that may never cost: a block in this process refuses the next
 * GET at once; a write of another process (a second store and repository on the same database,
 * which this app's process is not told about) reaches reads once the app's follow of the log has
 * passed it; and a GET with atLeast, or any write, reads the stream tail regardless.
 */
describe(`fresh reads from cached states (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let client: ReturnType<typeof api>;
  let world: SchoolWorld;
  let otherProcess: EventSourcedRepository;
  let freshness: StreamFreshness;
  const s = () => `/schools/${world.schoolId}`;
  const meta = () => ({ schoolId: world.schoolId, actor: { accountId: world.accounts.sysadmin, role: 'sysadmin', generation: 1 }, correlationId: uuidv7() });
  const block = (repository: EventSourcedRepository, accountId: string) =>
    repository.handle(accountStream(accountId), accountDecider, (state) => decideAccount({ type: 'BlockAccount', accountId, reason: 'leak', incidentId: null }, state), meta());
  const newTeacher = async (login: string) => {
    const created = await client.post(`${s()}/accounts`, world.tokens.sysadmin, { login, password: PASSWORD, fullName: login, roles: ['teacher'] }).expect(201);
    return { id: created.body.id as string, token: await client.login(login) };
  };

  beforeAll(async () => {
    // A slow follow (1 s), so that only the store's own notice can make an in-process write visible at once.
    subject = await startTestApp({ env: { ADMIN_PASSWORD, PROJECTION_POLL_MS: '1000' } });
    client = api(subject.server);
    world = await buildSchool(subject.server);
    // "Another process": its own store and repository (own caches) on the same database.
    otherProcess = new EventSourcedRepository(new PostgresEventStore(subject.app.get<Database>(DATABASE).pool, { kind: TEST_DATABASE_KIND }));
    freshness = subject.app.get(StreamFreshness);
  });
  afterAll(async () => subject?.close());

  it('refuses the next GET of an account blocked in this process at once', async () => {
    const teacher = await newTeacher('blocked-here');
    await client.get('/auth/me', teacher.token).expect(200);
    await client.get('/auth/me', teacher.token).expect(200); // served from the cached state now
    await block(subject.app.get(EventSourcedRepository), teacher.id);
    const refused = await client.get('/auth/me', teacher.token).expect(401);
    expect(refused.body.code).toBe('UNAUTHENTICATED');
    await client.get(`${s()}/classes/${world.classId}`, teacher.token).expect(401);

    // Also when the block goes to the store directly, past the repository's cache.
    const other = await newTeacher('blocked-here-directly');
    await client.get('/auth/me', other.token).expect(200);
    await client.get('/auth/me', other.token).expect(200);
    const version = (await subject.app.get<EventStore>(EVENT_STORE).readStream(accountStream(other.id))).length;
    await subject.app.get<EventStore>(EVENT_STORE).append(accountStream(other.id), version, [{ type: 'AccountBlocked', data: { accountId: other.id, reason: 'leak', incidentId: null } }], meta());
    await client.get('/auth/me', other.token).expect(401);
  });

  it('refuses a token blocked by another process once the follow has passed the block, and at once with atLeast', async () => {
    const teacher = await newTeacher('blocked-elsewhere');
    await client.get('/auth/me', teacher.token).expect(200);
    await client.get('/auth/me', teacher.token).expect(200);
    const written = await block(otherProcess, teacher.id);
    await freshness.reached(written!.position);
    await client.get('/auth/me', teacher.token).expect(401);

    // With atLeast (and on any write) the stream's tail is read: no lag at all.
    const other = await newTeacher('blocked-elsewhere-2');
    await client.get('/auth/me', other.token).expect(200);
    await client.get('/auth/me', other.token).expect(200);
    const second = await block(otherProcess, other.id);
    await client.get(`/auth/me?atLeast=${second!.position.major}.${second!.position.minor}`, other.token).expect(401);
  });

  it("shows a student admitted by another process in the journal once the follow has passed it (the grid is rebuilt for the school's new state)", async () => {
    const grid = () => client.get(`${s()}/groups/${world.groupId}/journal?periodId=${world.periodIds[0]}`, world.tokens.deputy).expect(200);
    const before = (await grid()).body.students.map((st: { id: string }) => st.id);
    await grid();
    const studentId = uuidv7();
    const admitted = await otherProcess.handle(
      schoolStream(world.schoolId),
      schoolDecider,
      (state) => decideSchool({ type: 'AdmitStudent', studentId, fullName: 'Новенькая Ольга', classId: world.classId, birthDate: null, accountId: null, account: null }, state),
      meta(),
    );
    await freshness.reached(admitted!.position);
    const after = (await grid()).body.students.map((st: { id: string }) => st.id);
    expect(after).toEqual(expect.arrayContaining([...before, studentId]));
    expect(after).toHaveLength(before.length + 1);
  });

  it('sends a built view compressed (brotli or gzip) to a client that accepts it, the same JSON as the plain bytes, and 304 to a client holding its ETag', async () => {
    const path = `${s()}/groups/${world.groupId}/journal?periodId=${world.periodIds[0]}`;
    // Over the 1 KiB below which answers go uncompressed.
    const lesson = await client.post(`${s()}/groups/${world.groupId}/lessons`, world.tokens.assignedTeacher, { date: '2026-09-15', slot: 2, topic: 'Дроби и проценты. '.repeat(40).trim() }).expect(201);
    const plain = await client.get(`${path}&atLeast=${lesson.body.position}`, world.tokens.deputy).set('Accept-Encoding', 'identity').expect(200);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.text.length).toBeGreaterThan(1024);
    for (const [acceptEncoding, encoding] of [['gzip, deflate', 'gzip'], ['gzip;q=0.5, br', 'br']]) {
      const compressed = await client.get(path, world.tokens.deputy).set('Accept-Encoding', acceptEncoding).expect(200);
      expect(compressed.headers['content-encoding']).toBe(encoding);
      expect(compressed.headers.vary).toBe('Accept-Encoding');
      expect(compressed.body).toEqual(plain.body);
      expect(compressed.headers.etag).toBe(plain.headers.etag);
    }
    const refused = await client.get(path, world.tokens.deputy).set('Accept-Encoding', 'gzip;q=0').expect(200);
    expect(refused.headers['content-encoding']).toBeUndefined();
    const held = await client.get(path, world.tokens.deputy).set('If-None-Match', plain.headers.etag).expect(304);
    expect(held.text).toBe('');
  });

  it('shows a new mark in a repeated GET once the views have it, with the same body and ETag as long as nothing changed', async () => {
    const path = `${s()}/groups/${world.groupId}/journal?periodId=${world.periodIds[0]}`;
    const lesson = await client.post(`${s()}/groups/${world.groupId}/lessons`, world.tokens.assignedTeacher, { date: '2026-09-14', slot: 3, topic: 'Дроби' }).expect(201);
    const first = await client.get(`${path}&atLeast=${lesson.body.position}`, world.tokens.deputy).expect(200);
    const again = await client.get(path, world.tokens.deputy).expect(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.etag).toBe(first.headers.etag);
    expect(again.headers['content-type']).toBe('application/json; charset=utf-8');
    const mark = await client.post(`${s()}/lessons/${lesson.body.id}/marks`, world.tokens.assignedTeacher, { studentId: world.studentId, value: 5, workKind: 'oral' }).expect(201);
    await subject.app.get(ProjectionRunner).waitFor({ major: BigInt(mark.body.position.split('.')[0]), minor: BigInt(mark.body.position.split('.')[1]) }, 5000);
    const after = await client.get(path, world.tokens.deputy).expect(200);
    const marks = after.body.students.find((st: { id: string }) => st.id === world.studentId).marks;
    expect(marks).toEqual(expect.arrayContaining([expect.objectContaining({ id: mark.body.id, value: 5 })]));
    expect(after.headers.etag).not.toBe(first.headers.etag);
  });
});
