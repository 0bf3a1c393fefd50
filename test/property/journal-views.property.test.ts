import fc from 'fast-check';
import { v7 as uuidv7 } from 'uuid';
import { diary } from '../../projections/diary/diary.projector';
import { journalGrid } from '../../projections/journal-grid/journal-grid.projector';
import { ProjectionRunner } from '../../projections/projection-runner';
import { DocumentProjector, foldDocuments } from '../../projections/projector';
import { DomainError } from '../../src/common/domain-error';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { START } from '../../src/event-store/position';
import { decideJournal, evolveJournal, initialJournalState, JournalCommand, JournalContext, JournalState, journalStream } from '../../src/journal/domain/journal.decider';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';
import { viewDocuments } from '../support/fixtures';

const projectors = [journalGrid, diary] as DocumentProjector[];

type Op =
  | { kind: 'lesson'; day: number; slot: number }
  | { kind: 'mark'; lesson: number; student: number; value: 1 | 2 | 3 | 4 | 5 }
  | { kind: 'correct'; mark: number; value: 1 | 2 | 3 | 4 | 5 | null }
  | { kind: 'attend'; lesson: number; student: number; code: 'Н' | 'Б' | 'У' }
  | { kind: 'topic'; lesson: number; text: string }
  | { kind: 'final'; student: number; value: '2' | '3' | '4' | '5' | 'deferred' }
  | { kind: 'project'; batch: number };

const value = fc.constantFrom<1 | 2 | 3 | 4 | 5>(1, 2, 3, 4, 5);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('lesson' as const), day: fc.integer({ min: 1, max: 12 }), slot: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('mark' as const), lesson: fc.nat(9), student: fc.nat(2), value }),
  fc.record({ kind: fc.constant('correct' as const), mark: fc.nat(9), value: fc.option(value, { nil: null }) }),
  fc.record({ kind: fc.constant('attend' as const), lesson: fc.nat(9), student: fc.nat(2), code: fc.constantFrom<'Н' | 'Б' | 'У'>('Н', 'Б', 'У') }),
  fc.record({ kind: fc.constant('topic' as const), lesson: fc.nat(9), text: fc.constantFrom('Дроби', 'Проценты', 'Уравнения') }),
  fc.record({ kind: fc.constant('final' as const), student: fc.nat(2), value: fc.constantFrom<'2' | '3' | '4' | '5' | 'deferred'>('2', '3', '4', '5', 'deferred') }),
  fc.record({ kind: fc.constant('project' as const), batch: fc.integer({ min: 1, max: 8 }) }),
);

describe(`property: journal and diary views rebuilt from scratch equal the live ones (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  let store: PostgresEventStore;
  beforeAll(async () => {
    test = await openTestDatabase();
    store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
  });
  afterAll(async () => test.close());

  it('for generated histories of lessons, marks, corrections, attendance and final marks', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const groupId = uuidv7();
        const periodId = uuidv7();
        const students = [uuidv7(), uuidv7(), uuidv7()];
        const teacher = { accountId: uuidv7(), role: 'teacher', generation: 1 };
        const stream = journalStream(groupId, periodId);
        const ctx: JournalContext = {
          now: new Date('2026-09-20T08:00:00.000Z'),
          actorId: teacher.accountId,
          actorRole: 'teacher',
          isAssignedTeacher: true,
          isClassTeacher: false,
          groupId,
          subjectId: 'math',
          period: { periodId, startsOn: '2026-09-01', endsOn: '2026-10-25' },
          timezone: 'Europe/Moscow',
          holidays: [],
          rosterOn: () => students,
          isStudent: () => true,
          assignedTeacherIds: [teacher.accountId],
          substitutions: [],
        };
        let state: JournalState = initialJournalState();
        let version = 0;
        const lessons: string[] = [];
        const marks: string[] = [];
        for (const o of ops) {
          if (o.kind === 'project') {
            await new ProjectionRunner(test.database.dataSource, store, projectors, { batchSize: o.batch }).catchUp();
            continue;
          }
          const command: JournalCommand | null =
            o.kind === 'lesson'
              ? { type: 'RecordLesson', lessonId: uuidv7(), date: `2026-09-${String(o.day).padStart(2, '0')}`, slot: o.slot, topic: 'Тема', workKinds: [], homework: null, substitutesFor: null }
              : o.kind === 'mark' && lessons.length > 0
                ? { type: 'RecordMark', markId: uuidv7(), lessonId: lessons[o.lesson % lessons.length], studentId: students[o.student], value: o.value, workKind: 'classwork', weight: 1 }
                : o.kind === 'correct' && marks.length > 0
                  ? { type: 'CorrectMark', markId: marks[o.mark % marks.length], value: o.value, reason: 'исправление' }
                  : o.kind === 'attend' && lessons.length > 0
                    ? { type: 'RecordAttendance', attendanceId: uuidv7(), lessonId: lessons[o.lesson % lessons.length], studentId: students[o.student], code: o.code }
                    : o.kind === 'topic' && lessons.length > 0
                      ? { type: 'CorrectLesson', lessonId: lessons[o.lesson % lessons.length], field: 'topic', value: o.text, reason: 'уточнение' }
                      : o.kind === 'final'
                        ? { type: 'SetFinalMark', studentId: students[o.student], value: o.value, reason: 'итог' }
                        : null;
          if (!command) continue;
          let events;
          try {
            events = decideJournal(command, state, ctx);
          } catch (error) {
            if (error instanceof DomainError) continue; // refused: nothing to write
            throw error;
          }
          const written = await store.append(stream, version, events, { schoolId: null, actor: teacher, correlationId: uuidv7() });
          version = written.nextVersion;
          for (const event of written.events) state = evolveJournal(state, event as never);
          if (command.type === 'RecordLesson') lessons.push(command.lessonId);
          if (command.type === 'RecordMark') marks.push(command.markId);
        }
        await new ProjectionRunner(test.database.dataSource, store, projectors, { batchSize: 5 }).catchUp();

        const history = await store.readStream(stream);
        for (const projector of projectors) {
          const rebuilt = foldDocuments(projector, history);
          const live = await viewDocuments(test.database, projector.name);
          for (const [key, doc] of rebuilt) expect(live.get(key)).toEqual(doc);
          const ours = [...live.keys()].filter((key) => key.startsWith(groupId) || students.some((s) => key.startsWith(s)));
          expect(ours.sort()).toEqual([...rebuilt.keys()].sort());
        }
      }),
      { numRuns: 60 },
    );
    // And the runner's own rebuild from position 0 gives back every document.
    const live = await Promise.all(projectors.map((p) => viewDocuments(test.database, p.name)));
    // Twice: written once at the head, and through a write-back cache that flushes every 30 events and evicts.
    for (const memory of [{}, { rebuildFlushEvents: 30, rebuildMemoryBytes: 8192 }]) {
      const runner = new ProjectionRunner(test.database.dataSource, store, projectors, { batchSize: 17, rebuildBatchSize: 11, ...memory });
      await runner.reset(projectors.map((p) => p.name));
      await runner.catchUp();
      expect(await Promise.all(projectors.map((p) => viewDocuments(test.database, p.name)))).toEqual(live);
    }
    expect((await store.readAll(START, { limit: 1 })).length).toBe(1);
  });
});
