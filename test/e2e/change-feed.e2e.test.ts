import fc from 'fast-check';
import { request as httpRequest, IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../src/common/clock';
import { comparePositions, parsePosition } from '../../src/event-store/position';
import { FeedStreams } from '../../src/feed/feed-streams';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, PASSWORD, SchoolWorld, buildSchool } from '../support/school-fixture';
import { FeedLine, feedLines, textParser } from '../support/feed-client';

interface WriteAnswer {
  id: string;
  eventIds: string[];
  position: string;
  recordedAt: string;
}

/**
 * The change feed over HTTP (issue 17 item 4): JSON lines and Server-Sent Events, filters, who may
 * read it, Void and Reinstated entries after a compromise, and consumers that resume from their
 * last cursor while writers append concurrently.
 */
describe(`the change feed over HTTP (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let client: ReturnType<typeof api>;
  let world: SchoolWorld;
  let s: string;
  let port: number;
  let lesson: string;
  let latest = '0.0';
  const clock = new ManualClock('2026-09-07T06:00:00.000Z');

  const later = (a: string, b: string) => (comparePositions(parsePosition(a)!, parsePosition(b)!) >= 0 ? a : b);
  const ok = async (response: { status: number; body: WriteAnswer }, what: string): Promise<WriteAnswer> => {
    if (response.status !== 201) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
    latest = later(latest, response.body.position);
    return response.body;
  };

  /** One JSON-lines read; `atLeast` the newest write this test made, so the log shows it. */
  async function read(token: string | null, query: Record<string, string | number> = {}) {
    const params = new URLSearchParams(Object.entries({ atLeast: latest, ...query }).map(([k, v]): [string, string] => [k, String(v)]));
    const response = await client.get(`${s}/feed?${params}`, token).buffer(true).parse(textParser as never);
    if (response.status !== 200) throw new Error(`feed ${params}: ${response.status} ${JSON.stringify(response.body)}`);
    expect(response.headers['content-type']).toBe('application/x-ndjson; charset=utf-8');
    const text = response.body as string;
    const entries = feedLines(text);
    expect(text === '' || text.endsWith('\n')).toBe(true);
    return { entries, cursor: response.headers['x-feed-cursor'] as string };
  }

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD }, clock });
    client = api(subject.server);
    world = await buildSchool(subject.server);
    s = `/schools/${world.schoolId}`;
    await subject.app.listen(0, '127.0.0.1');
    port = (subject.app.getHttpServer().address() as AddressInfo).port;
    clock.set('2026-09-07T07:00:00.000Z');
    lesson = (await ok(await client.post(`${s}/groups/${world.groupId}/lessons`, world.tokens.assignedTeacher, { date: '2026-09-07', slot: 1, topic: 'Дроби' }), 'lesson')).id;
    for (const value of [5, 4, 3]) await ok(await client.post(`${s}/lessons/${lesson}/marks`, world.tokens.assignedTeacher, { studentId: world.studentId, value, workKind: 'classwork' }), 'mark');
  });
  afterAll(async () => subject?.close());

  it('gives the school’s log as JSON lines, in cursor order, opened as the audit shows it, with the last cursor in X-Feed-Cursor', async () => {
    const { entries, cursor } = await read(world.tokens.director);
    expect(entries[0]).toMatchObject({ kind: 'event', type: 'SchoolCreated', void: false, voidedBy: null });
    expect(entries.filter((e) => e.type === 'MarkRecorded').map((e) => e.data?.value)).toEqual([5, 4, 3]);
    // Personal fields are sealed in the log and shown opened, as GET …/audit/events shows them.
    expect(entries.find((e) => e.type === 'StudentAdmitted' && e.data?.studentId === world.studentId)?.data).toMatchObject({ fullName: 'Иванов Иван' });
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    expect(entries.every((e) => e.kind === 'event' && e.id === e.eventId && e.cursor === e.position)).toBe(true);
    for (let i = 1; i < entries.length; i++) expect(comparePositions(parsePosition(entries[i - 1].position)!, parsePosition(entries[i].position)!)).toBe(-1);
    expect(cursor).toBe(entries.at(-1)!.cursor);
    // Nothing of the other school.
    const audit = await client.get(`${s}/audit/events?limit=500&atLeast=${latest}`, world.tokens.director).expect(200);
    expect(entries.map((e) => e.eventId).sort()).toEqual(audit.body.items.map((i: { eventId: string }) => i.eventId).sort());
  });

  it('pages by `limit` and resumes `after` a cursor; a read past the head is empty and keeps the cursor', async () => {
    const whole = (await read(world.tokens.director)).entries;
    const first = await read(world.tokens.director, { limit: 3 });
    expect(first.entries).toEqual(whole.slice(0, 3));
    expect(first.cursor).toBe(whole[2].cursor);
    const rest = await read(world.tokens.director, { after: first.cursor });
    expect(rest.entries).toEqual(whole.slice(3));
    const none = await read(world.tokens.director, { after: whole.at(-1)!.cursor });
    expect(none).toEqual({ entries: [], cursor: whole.at(-1)!.cursor });
  });

  it('filters by `types`, and refuses bad input naming the field', async () => {
    const { entries } = await read(world.tokens.deputy, { types: 'MarkRecorded,LessonRecorded' });
    expect(entries.map((e) => e.type)).toEqual(['LessonRecorded', 'MarkRecorded', 'MarkRecorded', 'MarkRecorded']);
    for (const [query, field] of [
      ['after=abc', 'after'],
      ['after=12.3:0', 'after'],
      ['types=MarkRecorded,Nope', 'types'],
      ['limit=10001', 'limit'],
      ['limit=0', 'limit'],
      ['atLeast=x', 'atLeast'],
      ['whatever=1', 'whatever'],
    ]) {
      const answer = await client.get(`${s}/feed?${query}`, world.tokens.director);
      expect({ query, status: answer.status, code: answer.body.code, field: answer.body.details?.[0]?.field }).toEqual({ query, status: 400, code: 'VALIDATION_FAILED', field });
      expect(answer.body.details[0].reason.length).toBeGreaterThan(5);
    }
  });

  it('is read by the administration, security staff and inspectors whole; by a teacher only for the journals of their groups; refused to parents and students', async () => {
    const whole = (await read(world.tokens.director)).entries;
    for (const person of ['deputy', 'sysadmin', 'securityOfficer', 'inspector'] as const) expect((await read(world.tokens[person])).entries).toEqual(whole);
    const teacher = (await read(world.tokens.assignedTeacher)).entries;
    expect(teacher.map((e) => e.type)).toEqual(['LessonRecorded', 'MarkRecorded', 'MarkRecorded', 'MarkRecorded']);
    expect(teacher.every((e) => e.stream.startsWith(`journal-${world.groupId}-`))).toBe(true);
    expect((await read(world.tokens.otherTeacher)).entries).toEqual([]);
    for (const person of ['parent', 'student'] as const) {
      const refused = await client.get(`${s}/feed`, world.tokens[person]);
      expect({ status: refused.status, code: refused.body.code }).toEqual({ status: 403, code: 'FORBIDDEN' });
      expect(refused.body.message).toMatch(/change feed/);
    }
    await client.get(`${s}/feed`, world.tokens.otherSchool).expect(404);
    await client.get(`${s}/feed`, null).expect(401);
  });

  describe('a compromise', () => {
    let incident: string;
    let voided: WriteAnswer[];
    let reportPosition: string;

    it('is followed by Void entries for the operations of the window, each once, with the incident', async () => {
      clock.set('2026-09-07T08:00:00.000Z');
      const moment = clock.now().toISOString();
      clock.advance(1000);
      voided = [];
      for (const value of [2, 2]) voided.push(await ok(await client.post(`${s}/lessons/${lesson}/marks`, world.tokens.assignedTeacher, { studentId: world.studentId, value, workKind: 'test' }), 'intruder mark'));
      const before = (await read(world.tokens.director)).cursor;
      clock.advance(60_000);
      const report = await ok(await client.post(`${s}/incidents`, world.tokens.securityOfficer, { accountId: world.accounts.assignedTeacher, effectiveFrom: moment }), 'report');
      incident = report.id;
      reportPosition = report.position;
      const { entries } = await read(world.tokens.director, { after: before });
      const changes = entries.filter((e) => e.kind === 'change');
      const markEvents = voided.map((answer) => answer.eventIds.at(-1));
      expect(changes.filter((e) => markEvents.includes(e.eventId))).toEqual(
        markEvents.map((eventId) => expect.objectContaining({ type: 'Void', eventId, eventType: 'MarkRecorded', incidentId: incident, position: reportPosition })),
      );
      expect(changes.every((e) => e.cursor.startsWith(`${reportPosition}:`) && e.type === 'Void')).toBe(true);
      expect(new Set(changes.map((e) => e.id)).size).toBe(changes.length);
      // The teacher's scope keeps the change entries of its journal's events.
      const teacherTypes = (await read(world.tokens.securityOfficer, { after: before, types: 'MarkRecorded' })).entries.map((e) => `${e.type} ${e.eventId}`);
      expect(teacherTypes).toEqual(markEvents.map((id) => `Void ${id}`));
    });

    it('is undone for a reinstated operation by a Reinstated entry; a mirror of the feed agrees with the audit on every event', async () => {
      const markEvent = voided[0].eventIds.at(-1)!;
      const before = (await read(world.tokens.director)).cursor;
      const reinstated = await ok(await client.post(`${s}/incidents/${incident}/reinstatements`, world.tokens.securityOfficer, { eventId: markEvent, reason: 'проверено' }), 'reinstatement');
      const { entries } = await read(world.tokens.director, { after: before });
      expect(entries.filter((e) => e.kind === 'change')).toEqual([
        expect.objectContaining({ cursor: `${reinstated.position}:1`, type: 'Reinstated', eventId: markEvent, incidentId: incident, factEventId: reinstated.eventIds.at(-1) }),
      ]);

      const mirrored = new Map<string, boolean>();
      for (const e of (await read(world.tokens.director)).entries) {
        if (e.kind === 'event') mirrored.set(e.eventId, e.void!);
        else mirrored.set(e.eventId, e.type === 'Void');
      }
      const audit = await client.get(`${s}/audit/events?limit=500&atLeast=${latest}`, world.tokens.director).expect(200);
      const expected = new Map<string, boolean>(audit.body.items.map((i: { eventId: string; void: boolean }) => [i.eventId, i.void]));
      expect(mirrored).toEqual(expected);
      expect([...mirrored.values()].filter(Boolean)).toHaveLength(1);
    });

    afterAll(async () => {
      // The teacher writes again in the tests below.
      await ok(await client.post(`${s}/accounts/${world.accounts.assignedTeacher}/credentials`, world.tokens.sysadmin, { password: PASSWORD }), 'reissue');
      world.tokens.assignedTeacher = await client.login('a-teacher');
    });
  });

  describe('as Server-Sent Events', () => {
    /** Opens a stream and collects its events until `until` says so; then the client disconnects. */
    function stream(headers: Record<string, string>, until: (events: FeedLine[]) => boolean, path = `/api/v1${s}/feed`) {
      return new Promise<{ events: FeedLine[]; ids: string[]; names: string[]; response: IncomingMessage; raw: string }>((resolve, reject) => {
        const events: FeedLine[] = [];
        const ids: string[] = [];
        const names: string[] = [];
        let raw = '';
        let buffer = '';
        const req = httpRequest({ host: '127.0.0.1', port, path, headers: { accept: 'text/event-stream', ...headers } }, (response) => {
          if (response.statusCode !== 200) {
            response.on('data', (chunk: Buffer) => (raw += chunk.toString()));
            response.on('end', () => resolve({ events, ids, names, response, raw }));
            return;
          }
          response.on('data', (chunk: Buffer) => {
            raw += chunk.toString();
            buffer += chunk.toString();
            let end: number;
            while ((end = buffer.indexOf('\n\n')) !== -1) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const fields = Object.fromEntries(block.split('\n').filter((line) => !line.startsWith(':') && line.includes(': ')).map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]));
              if (fields.data === undefined) continue;
              events.push(JSON.parse(fields.data));
              ids.push(fields.id);
              names.push(fields.event);
            }
            if (until(events)) {
              req.destroy();
              resolve({ events, ids, names, response, raw });
            }
          });
          // The server ended the stream.
          response.on('end', () => resolve({ events, ids, names, response, raw }));
        });
        req.on('error', (error) => (error.message === 'socket hang up' ? undefined : reject(error)));
        req.end();
      });
    }
    const bearer = (token: string | null) => ({ authorization: `Bearer ${token}` });
    const streamsOpen = () => subject.app.get(FeedStreams).size;
    const until = async (what: () => boolean) => {
      for (let i = 0; i < 200 && !what(); i++) await new Promise((resolve) => setTimeout(resolve, 25));
      expect(what()).toBe(true);
    };

    it('sends the backlog with the cursors as ids and the types as event names; a reconnect with Last-Event-ID resumes after it; a disconnect ends the stream', async () => {
      const whole = (await read(world.tokens.director)).entries;
      const first = await stream(bearer(world.tokens.director), (events) => events.length >= 5);
      expect(first.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(first.raw.startsWith('retry: ')).toBe(true);
      expect(first.events.slice(0, 5)).toEqual(whole.slice(0, 5));
      expect(first.ids.slice(0, 5)).toEqual(whole.slice(0, 5).map((e) => e.cursor));
      expect(first.names.slice(0, 5)).toEqual(whole.slice(0, 5).map((e) => e.type));
      await until(() => streamsOpen() === 0);

      const resumed = await stream({ ...bearer(world.tokens.director), 'last-event-id': first.ids[2] }, (events) => events.length >= whole.length - 3);
      expect(resumed.events.slice(0, whole.length - 3)).toEqual(whole.slice(3));
      await until(() => streamsOpen() === 0);
      const bad = await stream({ ...bearer(world.tokens.director), 'last-event-id': 'nonsense' }, () => true);
      expect(bad.response.statusCode).toBe(400);
      expect(JSON.parse(bad.raw).details).toEqual([{ field: 'Last-Event-ID', reason: expect.any(String) }]);
    });

    it('follows new entries once at the head (change entries included), and refuses a parent with a reason', async () => {
      const head = (await read(world.tokens.securityOfficer)).cursor;
      let mark = '';
      const live = stream({ ...bearer(world.tokens.securityOfficer) }, (events) => events.some((e) => e.type === 'MarkRecorded' && e.eventId === mark), `/api/v1${s}/feed?after=${head}&types=MarkRecorded`);
      await until(() => streamsOpen() === 1);
      clock.advance(60_000);
      mark = (await ok(await client.post(`${s}/lessons/${lesson}/marks`, world.tokens.assignedTeacher, { studentId: world.studentId, value: 4, workKind: 'oral' }), 'live mark')).eventIds.at(-1)!;
      const { events } = await live;
      expect(events.map((e) => `${e.type} ${e.eventId}`)).toEqual([`MarkRecorded ${mark}`]);
      await until(() => streamsOpen() === 0);

      const refused = await stream(bearer(world.tokens.parent), () => true);
      expect(refused.response.statusCode).toBe(403);
      expect(JSON.parse(refused.raw).message).toMatch(/change feed/);
    });

    it('ends a stream whose account is blocked meanwhile', async () => {
      const candidate = await ok(
        await client.post(`${s}/accounts`, world.tokens.admin, { login: 'feed-reader', password: PASSWORD, fullName: 'Читатель ленты', roles: ['deputy'] }),
        'reader account',
      );
      const token = await client.login('feed-reader');
      let ended = false;
      const open = stream(bearer(token), () => false);
      void open.then(() => (ended = true));
      await until(() => streamsOpen() === 1);
      await ok(await client.post(`${s}/incidents`, world.tokens.securityOfficer, { accountId: candidate.id }), 'report on the reader');
      await until(() => streamsOpen() === 0);
      await until(() => ended);
    });
  });

  describe('consumers resuming while writers append concurrently', () => {
    interface Writer {
      accountId: string;
      login: string;
      token: string;
      lesson: string;
    }
    const writers: Writer[] = [];

    beforeAll(async () => {
      const deputy = world.tokens.deputy;
      for (let i = 0; i < 3; i++) {
        const login = `feed-writer-${i}`;
        const accountId = (await ok(await client.post(`${s}/accounts`, world.tokens.admin, { login, password: PASSWORD, fullName: `Учитель ${i}`, roles: ['teacher'] }), 'writer')).id;
        // A group each: the writers append to different journals, so their transactions really overlap on PostgreSQL.
        const group = (await ok(await client.post(`${s}/groups`, deputy, { classId: world.classId, subjectId: world.subjectId, name: `Группа ${i}` }), 'group')).id;
        await ok(await client.post(`${s}/assignments`, deputy, { teacherId: accountId, groupId: group }), 'assignment');
        const token = await client.login(login);
        const lessonId = (await ok(await client.post(`${s}/groups/${group}/lessons`, token, { date: '2026-09-08', slot: 1, topic: `Тема ${i}` }), 'lesson')).id;
        writers.push({ accountId, login, token, lesson: lessonId });
      }
    });

    it('a consumer paging from its last cursor gets exactly the feed read at once: nothing missed, nothing twice', async () => {
      const plan = fc.record({
        marks: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 3, maxLength: 3 }),
        reportOn: fc.integer({ min: 0, max: 2 }),
        reportAfter: fc.integer({ min: 0, max: 3 }),
        reinstate: fc.boolean(),
        limit: fc.integer({ min: 1, max: 6 }),
        // A filtered consumer resumes from X-Feed-Cursor, which may name an entry it was not given.
        types: fc.constantFrom(undefined, 'MarkRecorded'),
      });
      await fc.assert(
        fc.asyncProperty(plan, async ({ marks, reportOn, reportAfter, reinstate, limit, types }) => {
          const start = (await read(world.tokens.director)).cursor;
          const filter: Record<string, string> = types ? { types } : {};
          const written: (WriteAnswer & { by: number })[] = [];
          let writing = true;
          let reported: Promise<void> = Promise.resolve();

          // Each writer appends its marks one after the other, all writers at once; the clock moves a second per mark.
          const write = async (w: number) => {
            for (let k = 0; k < marks[w]; k++) {
              clock.advance(1000);
              const answer = await client.post(`${s}/lessons/${writers[w].lesson}/marks`, writers[w].token, { studentId: world.studentId, value: 1 + ((w + k) % 5), workKind: 'oral' });
              // A reported writer's token is dead from the report on: its next marks are refused.
              if (answer.status === 401) return;
              written.push({ ...(await ok(answer, 'mark')), by: w });
              if (w === reportOn && k === Math.min(reportAfter, marks[w] - 1)) reported = report(w);
            }
          };
          // A report on one writer from a moment among its marks, while the others go on; then perhaps a reinstatement.
          const report = async (w: number) => {
            const own = written.filter((m) => m.by === w);
            const moment = own[Math.floor(own.length / 2)].recordedAt;
            const incident = await ok(await client.post(`${s}/incidents`, world.tokens.securityOfficer, { accountId: writers[w].accountId, effectiveFrom: moment }), 'report');
            const voidedMark = own.find((m) => m.recordedAt >= moment);
            if (reinstate && voidedMark) {
              await ok(await client.post(`${s}/incidents/${incident.id}/reinstatements`, world.tokens.director, { eventId: voidedMark.eventIds.at(-1), reason: 'проверено' }), 'reinstatement');
            }
          };
          const consumed: FeedLine[] = [];
          const consume = async () => {
            let cursor = start;
            for (;;) {
              const finishing = !writing;
              const page = await read(world.tokens.director, { after: cursor, limit, ...filter });
              consumed.push(...page.entries);
              cursor = page.cursor;
              if (finishing && page.entries.length < limit) return;
            }
          };
          const consumer = consume();
          await Promise.all(writers.map((_, w) => write(w)));
          await reported;
          writing = false;
          await consumer;

          const whole = (await read(world.tokens.director, { after: start, limit: 10_000 })).entries;
          const wholeFiltered = (await read(world.tokens.director, { after: start, limit: 10_000, ...filter })).entries;
          expect(consumed.map((e) => e.id)).toEqual(wholeFiltered.map((e) => e.id));
          expect(consumed).toEqual(wholeFiltered);
          expect(wholeFiltered).toEqual(whole.filter((e) => !types || (e.kind === 'event' ? e.type : e.eventType) === types));
          expect(new Set(whole.map((e) => e.id)).size).toBe(whole.length);
          // The report voided at least the mark recorded at its moment (written before it): a Void entry.
          expect(whole.some((e) => e.kind === 'change' && e.type === 'Void')).toBe(true);
          const markEvents = new Set(written.map((m) => m.eventIds.at(-1)));
          expect(whole.filter((e) => e.kind === 'event' && markEvents.has(e.eventId))).toHaveLength(markEvents.size);

          // The reported writer may write again in the next run.
          const w = writers[reportOn];
          await ok(await client.post(`${s}/accounts/${w.accountId}/credentials`, world.tokens.sysadmin, { password: PASSWORD }), 'reissue');
          w.token = await client.login(w.login);
        }),
        // A failing run over HTTP is slow to shrink: report the first counterexample as found.
        { numRuns: TEST_DATABASE_KIND === 'postgres' ? 15 : 10, endOnFailure: true },
      );
    });
  });
});
