import fc from 'fast-check';
import { accountDecider, AccountEvent } from '../../src/accounts/domain/account.decider';
import { DomainError } from '../../src/common/domain-error';
import { decideJournal, evolveJournal, initialJournalState, JournalCommand, JournalContext, JournalEnvelope, JournalState } from '../../src/journal/domain/journal.decider';
import { schoolDecider, SchoolEvent, SchoolState, STRUCTURE_EVENT_TYPES } from '../../src/school/domain/school.decider';

/**
 * Issue 12 point 2: decisions fold only the events that count, so every `evolve` must be total over
 * any subsequence of its stream (a report may void the event that created an entry, and keep the
 * correction someone else made of it). Pure: the deciders alone, no database.
 */
const RUNS = Number(process.env.ZHURNAL_PROPERTY_RUNS ?? 200);
const teachers = ['t1', 't2'];
const students = ['s1', 's2', 's3'];

type Step =
  | { kind: 'lesson'; by: number; day: number; slot: number }
  | { kind: 'mark'; by: number; lesson: number; student: number; value: 1 | 2 | 3 | 4 | 5 }
  | { kind: 'correct'; by: number; mark: number; value: 1 | 2 | 3 | 4 | 5 | null }
  | { kind: 'attend'; by: number; lesson: number; student: number }
  | { kind: 'fixAttendance'; by: number; entry: number }
  | { kind: 'fixLesson'; by: number; lesson: number }
  | { kind: 'final'; by: number; student: number; value: '3' | '4' | '5' }
  | { kind: 'lock' | 'unlock'; by: number };

const by = fc.nat(2); // 0, 1: teachers; 2: the deputy
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('lesson' as const), by, day: fc.integer({ min: 1, max: 9 }), slot: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ kind: fc.constant('mark' as const), by, lesson: fc.nat(9), student: fc.nat(2), value: fc.constantFrom<1 | 2 | 3 | 4 | 5>(1, 2, 3, 4, 5) }),
  fc.record({ kind: fc.constant('correct' as const), by, mark: fc.nat(9), value: fc.option(fc.constantFrom<1 | 2 | 3 | 4 | 5>(1, 2, 3, 4, 5), { nil: null }) }),
  fc.record({ kind: fc.constant('attend' as const), by, lesson: fc.nat(9), student: fc.nat(2) }),
  fc.record({ kind: fc.constant('fixAttendance' as const), by, entry: fc.nat(9) }),
  fc.record({ kind: fc.constant('fixLesson' as const), by, lesson: fc.nat(9) }),
  fc.record({ kind: fc.constant('final' as const), by, student: fc.nat(2), value: fc.constantFrom<'3' | '4' | '5'>('3', '4', '5') }),
  fc.record({ kind: fc.constantFrom<'lock' | 'unlock'>('lock', 'unlock'), by }),
);

const context = (actor: number): JournalContext => ({
  now: new Date('2026-09-20T10:00:00.000Z'),
  actorId: actor === 2 ? 'deputy' : teachers[actor],
  actorRole: actor === 2 ? 'deputy' : 'teacher',
  isAssignedTeacher: actor !== 2,
  isClassTeacher: false,
  groupId: 'g1',
  subjectId: 'math',
  period: { periodId: 'p1', startsOn: '2026-09-01', endsOn: '2026-10-25' },
  timezone: 'Europe/Moscow',
  holidays: [],
  rosterOn: () => students,
  assignedTeacherIds: teachers,
  substitutions: [],
  isStudent: (studentId) => students.includes(studentId),
});

const fold = (events: readonly JournalEnvelope[]) => events.reduce(evolveJournal, initialJournalState());

/** A history the decider accepts, step by step, each event with its author (the envelope's actor). */
function journalHistory(steps: readonly Step[]): JournalEnvelope[] {
  const events: JournalEnvelope[] = [];
  let state = initialJournalState();
  let n = 0;
  const id = () => `x${++n}`;
  for (const s of steps) {
    const pick = <T>(list: readonly T[], i: number) => (list.length === 0 ? undefined : list[i % list.length]);
    const lessons = Object.keys(state.lessons);
    const command: JournalCommand | undefined =
      s.kind === 'lesson'
        ? { type: 'RecordLesson', lessonId: id(), date: `2026-09-0${s.day}`, slot: s.slot, topic: 'Тема', workKinds: [], homework: null, substitutesFor: null }
        : s.kind === 'mark' && pick(lessons, s.lesson)
          ? { type: 'RecordMark', markId: id(), lessonId: pick(lessons, s.lesson)!, studentId: students[s.student], value: s.value, workKind: 'classwork', weight: 1 }
          : s.kind === 'correct' && pick(Object.keys(state.marks), s.mark)
            ? { type: 'CorrectMark', markId: pick(Object.keys(state.marks), s.mark)!, value: s.value, reason: 'исправление' }
            : s.kind === 'attend' && pick(lessons, s.lesson)
              ? { type: 'RecordAttendance', attendanceId: id(), lessonId: pick(lessons, s.lesson)!, studentId: students[s.student], code: 'Н' }
              : s.kind === 'fixAttendance' && pick(Object.keys(state.attendance), s.entry)
                ? { type: 'CorrectAttendance', attendanceId: pick(Object.keys(state.attendance), s.entry)!, code: 'У', reason: 'справка' }
                : s.kind === 'fixLesson' && pick(lessons, s.lesson)
                  ? { type: 'CorrectLesson', lessonId: pick(lessons, s.lesson)!, field: 'topic', value: `Тема ${n}`, reason: 'уточнение' }
                  : s.kind === 'final'
                    ? { type: 'SetFinalMark', studentId: students[s.student], value: s.value, reason: 'итог' }
                    : s.kind === 'lock'
                      ? { type: 'LockPeriod' }
                      : s.kind === 'unlock'
                        ? { type: 'UnlockPeriod', reason: 'пересмотр' }
                        : undefined;
    if (!command) continue;
    try {
      for (const event of decideJournal(command, state, context(s.by))) {
        const stored = { ...event, actor: { accountId: context(s.by).actorId } } as JournalEnvelope;
        events.push(stored);
        state = evolveJournal(state, stored);
      }
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
    }
  }
  return events;
}

/** Corrections whose entry is not in the history: they count for nothing. */
function withoutOrphans(events: readonly JournalEnvelope[]): JournalEnvelope[] {
  const known = new Set<string>();
  return events.filter((e) => {
    const d = e.data as { lessonId?: string; markId?: string; attendanceId?: string };
    if (e.type === 'LessonRecorded') known.add(d.lessonId!);
    if (e.type === 'MarkRecorded') known.add(d.markId!);
    if (e.type === 'AttendanceRecorded') known.add(d.attendanceId!);
    if (e.type === 'LessonCorrected') return known.has(d.lessonId!);
    if (e.type === 'MarkCorrected') return known.has(d.markId!);
    if (e.type === 'AttendanceCorrected') return known.has(d.attendanceId!);
    return true;
  });
}

/** Every command the journal could be asked next, against the entries of the full history. */
function probes(events: readonly JournalEnvelope[]): JournalCommand[] {
  const full = fold(events);
  return [
    ...Object.keys(full.marks).map((markId): JournalCommand => ({ type: 'CorrectMark', markId, value: 4, reason: 'проверка' })),
    ...Object.keys(full.lessons).map((lessonId): JournalCommand => ({ type: 'RecordMark', markId: 'probe', lessonId, studentId: 's1', value: 5, workKind: 'oral', weight: 1 })),
    ...Object.keys(full.attendance).map((attendanceId): JournalCommand => ({ type: 'CorrectAttendance', attendanceId, code: 'Б', reason: 'проверка' })),
    { type: 'RecordLesson', lessonId: 'probe', date: '2026-09-01', slot: 1, topic: 'Проба', workKinds: [], homework: null, substitutesFor: null },
    { type: 'LockPeriod' },
  ];
}

const outcome = (command: JournalCommand, state: JournalState, actor: number) => {
  try {
    return decideJournal(command, state, context(actor));
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
};

describe('property: every evolve is total over any subsequence of its stream', () => {
  it('the journal: folding what is left after any events are removed never throws, and decides as if the orphaned corrections had never been', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), fc.array(fc.boolean(), { maxLength: 80 }), fc.nat(2), (steps, removed, actor) => {
        const history = journalHistory(steps);
        const left = history.filter((_, i) => !removed[i]);
        const state = fold(left);
        expect(state).toEqual(fold(withoutOrphans(left)));
        for (const command of probes(history)) expect(outcome(command, state, actor)).toEqual(outcome(command, fold(withoutOrphans(left)), actor));
      }),
      { numRuns: RUNS },
    );
  });

  const schoolEvents: SchoolEvent[] = [
    { type: 'SchoolCreated', data: { schoolId: 'sc', name: 'Школа', timezone: 'Europe/Moscow' } },
    { type: 'YearCreated', data: { yearId: 'y', name: '2026/27', startsOn: '2026-09-01', endsOn: '2027-05-31', periods: [{ periodId: 'p', name: 'I', startsOn: '2026-09-01', endsOn: '2026-10-25' }], holidays: [] } },
    { type: 'SubjectCreated', data: { subjectId: 'm', name: 'Математика' } },
    { type: 'ClassCreated', data: { classId: 'c', yearId: 'y', name: '5А', classTeacherId: 't1' } },
    { type: 'StudentAdmitted', data: { studentId: 's1', fullName: 'Иванов', classId: 'c', birthDate: null, accountId: null } },
    { type: 'ClassCreated', data: { classId: 'c2', yearId: 'y', name: '5Б', classTeacherId: 't2' } },
    { type: 'StudentTransferred', data: { studentId: 's1', fromClassId: 'c', toClassId: 'c2', on: '2026-10-01' } },
    { type: 'GroupCreated', data: { groupId: 'g', classId: 'c', subjectId: 'm', name: '5А мат', studentIds: null } },
    { type: 'TeacherAssigned', data: { groupId: 'g', teacherId: 't1' } },
    { type: 'TeacherAssigned', data: { groupId: 'g', teacherId: 't2' } },
    { type: 'ParentLinked', data: { studentId: 's1', parentId: 'p1' } },
    { type: 'InspectorGranted', data: { schoolId: 'sc', accountId: 'i1' } },
    { type: 'SchoolSettingsChanged', data: { minMarksForAttestation: 5 } },
  ];

  it('the school: any events void → structure stays, and no grant of a void event counts', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: schoolEvents.length, maxLength: schoolEvents.length }), fc.array(fc.boolean(), { minLength: schoolEvents.length, maxLength: schoolEvents.length }), (isVoid, dropped) => {
        // Some events are void (folded with evolveVoid), some never happened (another subsequence).
        let state: SchoolState = schoolDecider.initialState();
        schoolEvents.forEach((event, i) => {
          if (dropped[i] && !STRUCTURE_EVENT_TYPES.includes(event.type)) return;
          state = isVoid[i] ? schoolDecider.evolveVoid(state, event) : schoolDecider.evolve(state, event);
        });
        const counts = (i: number) => !isVoid[i] && !dropped[i];
        const expectedTeachers = schoolEvents.flatMap((e, i) => (e.type === 'TeacherAssigned' && counts(i) ? [e.data.teacherId] : []));
        expect(state.groups.g?.teacherIds ?? []).toEqual(expectedTeachers);
        expect(state.parentLinks.s1 ?? []).toEqual(counts(10) ? ['p1'] : []);
        expect(state.inspectors).toEqual(counts(11) ? ['i1'] : []);
        expect(state.settings.minMarksForAttestation).toBe(counts(12) ? 5 : 3);
        expect(Object.keys(state.classes).sort()).toEqual(['c', 'c2']);
        expect(state.students.s1.placements.map((p) => p.classId)).toEqual(['c', 'c2']);
      }),
      { numRuns: RUNS },
    );
  });

  it('the account: an account is blocked exactly while a report or a void operation on it is the latest of those since a valid reissue', () => {
    const created: AccountEvent = { type: 'AccountCreated', data: { accountId: 'a', schoolId: 's', login: 'a', fullName: 'A', roles: ['teacher'], generation: 1, credentialId: 'c1' } };
    const ops = fc.array(
      fc.record({
        event: fc.constantFrom<AccountEvent['type']>('RolesGranted', 'RolesRevoked', 'CredentialsReissued', 'CredentialCompromiseReported', 'OperationReinstated'),
        isVoid: fc.boolean(),
      }),
      { maxLength: 20 },
    );
    fc.assert(
      fc.property(fc.boolean(), ops, (creationVoid, steps) => {
        let state = creationVoid ? accountDecider.evolveVoid(accountDecider.initialState(), created) : accountDecider.evolve(accountDecider.initialState(), created);
        let blocked = creationVoid;
        let deputy = false;
        steps.forEach(({ event, isVoid }, i) => {
          const data =
            event === 'CredentialCompromiseReported'
              ? { incidentId: `i${i}`, accountId: 'a', effectiveFrom: '2026-09-01T00:00:00.000Z', suspectedSince: null, reportedBy: 'x', note: null }
              : event === 'CredentialsReissued'
                ? { accountId: 'a', generation: i + 2, credentialId: `c${i}` }
                : event === 'OperationReinstated'
                  ? { incidentId: 'i0', accountId: 'a', eventId: 'e', reason: 'r', by: 'x' }
                  : { accountId: 'a', roles: ['deputy'] };
          const e = { type: event, data, recordedAt: `2026-09-02T00:00:${String(i).padStart(2, '0')}.000Z` } as unknown as AccountEvent;
          state = isVoid ? accountDecider.evolveVoid(state, e) : accountDecider.evolve(state, e);
          if (event === 'CredentialCompromiseReported') blocked = true;
          else if (event === 'CredentialsReissued') blocked = isVoid;
          else if (event === 'RolesGranted' && isVoid) blocked = true;
          // A void grant or revocation changes no role.
          if (event === 'RolesGranted' && !isVoid) deputy = true;
          if (event === 'RolesRevoked' && !isVoid) deputy = false;
        });
        expect(state.status).toBe(blocked ? 'blocked' : 'active');
        expect(state.roles.includes('deputy')).toBe(deputy);
      }),
      { numRuns: RUNS },
    );
  });
});
