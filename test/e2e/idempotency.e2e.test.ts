import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, SchoolWorld } from '../support/school-fixture';

describe(`Idempotency-Key on writes (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let world: SchoolWorld;
  let client: ReturnType<typeof api>;
  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD } });
    client = api(subject.server);
    world = await buildSchool(subject.server);
  });
  afterAll(async () => subject?.close());

  const subjects = () => `/schools/${world.schoolId}/subjects`;
  const countSubjects = async () =>
    (await subject.app.get<EventStore>(EVENT_STORE).readStream(`school-${world.schoolId}`)).filter((e) => e.type === 'SubjectCreated').length;

  it('a retry with the same key and an equal body gets the first answer with 200 and writes nothing', async () => {
    const before = await countSubjects();
    const first = await client.post(subjects(), world.tokens.deputy, { name: 'Химия' }).set('Idempotency-Key', 'chem-1').expect(201);
    const retry = await client.post(subjects(), world.tokens.deputy, { name: 'Химия' }).set('Idempotency-Key', 'chem-1').expect(200);
    expect(retry.body).toEqual(first.body);
    expect(await countSubjects()).toBe(before + 1);
  });

  it('the same key with another body is 422, and keys are per account', async () => {
    await client.post(subjects(), world.tokens.deputy, { name: 'Биология' }).set('Idempotency-Key', 'bio-1').expect(201);
    const reused = await client.post(subjects(), world.tokens.deputy, { name: 'География' }).set('Idempotency-Key', 'bio-1').expect(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const lessons = `/schools/${world.schoolId}/groups/${world.groupId}/lessons`;
    await client.post(lessons, world.tokens.assignedTeacher, { date: '2026-09-14', slot: 4, topic: 'Ключ' }).set('Idempotency-Key', 'bio-1').expect(201);
  });

  it('a refused request does not use up its key; a key over 200 characters is a 400', async () => {
    await client.post(subjects(), world.tokens.deputy, { name: '' }).set('Idempotency-Key', 'art-1').expect(400);
    await client.post(subjects(), world.tokens.deputy, { name: 'ИЗО' }).set('Idempotency-Key', 'art-1').expect(201);
    const long = await client.post(subjects(), world.tokens.deputy, { name: 'Музыка' }).set('Idempotency-Key', 'k'.repeat(201)).expect(400);
    expect(long.body.details).toEqual([{ field: 'Idempotency-Key', reason: 'must be 1–200 characters' }]);
  });

  it('two requests racing with one key: one writes, the other waits its turn or replays — never a second write', async () => {
    const before = await countSubjects();
    const answers = await Promise.all([1, 2, 3].map(() => client.post(subjects(), world.tokens.deputy, { name: 'Астрономия' }).set('Idempotency-Key', 'astro-1')));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    for (const status of statuses) expect([200, 201, 409]).toContain(status);
    expect(answers.filter((a) => a.status === 409).every((a) => a.body.code === 'IDEMPOTENCY_IN_PROGRESS')).toBe(true);
    expect(await countSubjects()).toBe(before + 1);
  });
});
