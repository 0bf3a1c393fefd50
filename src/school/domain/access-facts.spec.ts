import fc from 'fast-check';
import { DomainError } from '../../common/domain-error';
import { deciderSpec } from '../../common/testing/given-when-then';
import {
  AccountFacts,
  classOfStudentOn,
  classTeacherOn,
  decideSchool,
  evolveSchool,
  groupsOfTeacherOn,
  initialSchoolState,
  legacyAssignmentId,
  legacyGrantId,
  legacyLinkId,
  SchoolCommand,
  schoolDecider,
  SchoolEvent,
  SchoolState,
  teachersOfGroupOn,
} from './school.decider';
import { class5a, class5b, created, group, ivanov, S, subject, teacher, year as schoolYear } from './school.fixture';

/** Issue 12: substitutions and access that can be withdrawn, as facts of the school's stream. */
const spec = deciderSpec(schoolDecider);
const parent: AccountFacts = { schoolId: S, roles: ['parent'] };
/** The fixture's year with two days of holidays in October. */
const year = { ...schoolYear, data: { ...(schoolYear.data as object), holidays: [{ startsOn: '2026-10-01', endsOn: '2026-10-02' }] } } as SchoolEvent;
const assigned: SchoolEvent = { type: 'TeacherAssigned', data: { groupId: 'g1', teacherId: 't5', assignmentId: 'a1' } };
const linked: SchoolEvent = { type: 'ParentLinked', data: { studentId: 's1', parentId: 'p1', linkId: 'l1' } };
const granted: SchoolEvent = { type: 'InspectorGranted', data: { schoolId: S, accountId: 'i1', grantId: 'gr1' } };
const school = [created, year, subject, class5a, class5b, ivanov, group];
const fold = (events: SchoolEvent[]): SchoolState => events.reduce(evolveSchool, initialSchoolState());

describe('school structure: substitutions (point 4)', () => {
  const register = (over: Partial<Extract<SchoolCommand, { type: 'RegisterSubstitution' }>> = {}): SchoolCommand => ({
    type: 'RegisterSubstitution',
    substitutionId: 'sub1',
    groupId: 'g1',
    date: '2026-09-08',
    teacherId: 't9',
    slot: 2,
    reason: 'болезнь',
    teacher,
    ...over,
  });

  it('given a group, when the deputy registers a substitution, then SubstitutionRegistered', () => {
    spec.given(school).when(register()).then([{ type: 'SubstitutionRegistered', data: { substitutionId: 'sub1', groupId: 'g1', date: '2026-09-08', teacherId: 't9', slot: 2, reason: 'болезнь' } }]);
  });

  it('refuses an unknown group (404), a substitute who is not a teacher of the school, a date outside the periods or in the holidays', () => {
    spec.given(school).when(register({ groupId: 'nope' })).thenRefuses('NOT_FOUND');
    spec.given(school).when(register({ teacher: parent })).thenRefuses('VALIDATION_FAILED', 'teacherId');
    spec.given(school).when(register({ teacher: { schoolId: 'other', roles: ['teacher'] } })).thenRefuses('VALIDATION_FAILED', 'teacherId');
    spec.given(school).when(register({ date: '2026-10-30' })).thenRefuses('VALIDATION_FAILED', 'date');
    spec.given(school).when(register({ date: '2026-10-01' })).thenRefuses('VALIDATION_FAILED', 'date');
  });

  it('refuses a substitution registered already, or covered by one for the whole day', () => {
    const one = decideSchool(register(), fold(school));
    spec.given([...school, ...one]).when(register({ substitutionId: 'sub2' })).thenRefuses('ALREADY_EXISTS');
    spec.given([...school, ...one]).when(register({ substitutionId: 'sub2', slot: 3 })).then([expect.objectContaining({ type: 'SubstitutionRegistered' })]);
    const day = decideSchool(register({ slot: null }), fold(school));
    spec.given([...school, ...day]).when(register({ substitutionId: 'sub2', slot: 5 })).thenRefuses('ALREADY_EXISTS');
  });
});

describe('school structure: access that can be withdrawn (point 5)', () => {
  it('given an assignment, when it is ended on a date, then AssignmentEnded; the teacher teaches the group before that date and not from it', () => {
    spec.given([...school, assigned]).when({ type: 'EndAssignment', assignmentId: 'a1', on: '2026-09-11', reason: 'увольнение' }).then([
      { type: 'AssignmentEnded', data: { assignmentId: 'a1', groupId: 'g1', teacherId: 't5', on: '2026-09-11', reason: 'увольнение' } },
    ]);
    const ended: SchoolEvent = { type: 'AssignmentEnded', data: { assignmentId: 'a1', groupId: 'g1', teacherId: 't5', on: '2026-09-11', reason: 'увольнение' } };
    const state = fold([...school, assigned, ended]);
    expect(teachersOfGroupOn(state, 'g1', '2026-09-10')).toEqual(['t5']);
    expect(teachersOfGroupOn(state, 'g1', '2026-09-11')).toEqual([]);
    expect(groupsOfTeacherOn(state, 't5', '2026-09-11')).toEqual([]);
    expect(state.assignments.a1).toEqual({ assignmentId: 'a1', groupId: 'g1', teacherId: 't5', endsOn: '2026-09-11' });
    spec.given([...school, assigned, ended]).when({ type: 'EndAssignment', assignmentId: 'a1', on: '2026-09-12', reason: 'ещё раз' }).thenRefuses('ALREADY_ENDED');
    spec.given([...school, assigned]).when({ type: 'EndAssignment', assignmentId: 'nope', on: '2026-09-12', reason: 'увольнение' }).thenRefuses('NOT_FOUND');
    // History is kept: the same teacher may be assigned again, as a new assignment.
    spec.given([...school, assigned, ended]).when({ type: 'AssignTeacher', assignmentId: 'a2', groupId: 'g1', teacherId: 't5', teacher }).then([
      { type: 'TeacherAssigned', data: { groupId: 'g1', teacherId: 't5', assignmentId: 'a2' } },
    ]);
  });

  it('given a class, when its class teacher changes from a date, then ClassTeacherChanged; each date has its class teacher', () => {
    const change = { type: 'ChangeClassTeacher' as const, classId: '5a', teacherId: 't7', on: '2026-09-21', teacher };
    spec.given(school).when(change).then([{ type: 'ClassTeacherChanged', data: { classId: '5a', teacherId: 't7', on: '2026-09-21', previousTeacherId: 't1' } }]);
    const changed = decideSchool(change, fold(school));
    const state = fold([...school, ...changed]);
    expect(classTeacherOn(state, '5a', '2026-09-20')).toBe('t1');
    expect(classTeacherOn(state, '5a', '2026-09-21')).toBe('t7');
    spec.given([...school, ...changed]).when({ ...change, teacherId: 't1', on: '2026-09-20' }).thenRefuses('VALIDATION_FAILED', 'on');
    spec.given([...school, ...changed]).when({ ...change, on: '2026-10-01' }).thenRefuses('ALREADY_EXISTS');
    spec.given(school).when({ ...change, on: '2027-07-01' }).thenRefuses('VALIDATION_FAILED', 'on');
    spec.given(school).when({ ...change, teacher: parent }).thenRefuses('VALIDATION_FAILED', 'teacherId');
    spec.given(school).when({ ...change, classId: 'nope' }).thenRefuses('NOT_FOUND');
  });

  it('a placement counts from its date: the class of a student today', () => {
    const transferred: SchoolEvent = { type: 'StudentTransferred', data: { studentId: 's1', fromClassId: '5a', toClassId: '5b', on: '2026-09-14' } };
    const state = fold([...school, transferred]);
    expect(classOfStudentOn(state, 's1', '2026-09-13')).toBe('5a');
    expect(classOfStudentOn(state, 's1', '2026-09-14')).toBe('5b');
  });

  it('given a parent link, when it ends, then ParentLinkEnded and the parent is linked no more; a new link may follow', () => {
    spec.given([...school, linked]).when({ type: 'EndParentLink', linkId: 'l1', reason: 'лишение прав' }).then([
      { type: 'ParentLinkEnded', data: { linkId: 'l1', studentId: 's1', parentId: 'p1', reason: 'лишение прав' } },
    ]);
    const ended: SchoolEvent = { type: 'ParentLinkEnded', data: { linkId: 'l1', studentId: 's1', parentId: 'p1', reason: 'лишение прав' } };
    expect(fold([...school, linked]).parentLinks.s1).toEqual(['p1']);
    expect(fold([...school, linked, ended]).parentLinks.s1).toEqual([]);
    spec.given([...school, linked, ended]).when({ type: 'EndParentLink', linkId: 'l1', reason: 'ещё раз' }).thenRefuses('ALREADY_ENDED');
    spec.given([...school, linked]).when({ type: 'EndParentLink', linkId: 'nope', reason: 'лишение прав' }).thenRefuses('NOT_FOUND');
    spec.given([...school, linked, ended]).when({ type: 'LinkParent', linkId: 'l2', studentId: 's1', parentId: 'p1', parent }).then([
      { type: 'ParentLinked', data: { studentId: 's1', parentId: 'p1', linkId: 'l2' } },
    ]);
  });

  it('given an inspector grant, when it ends, then InspectorGrantEnded and the inspector no longer sees the school', () => {
    spec.given([created, granted]).when({ type: 'EndInspectorGrant', grantId: 'gr1', reason: 'проверка окончена' }).then([
      { type: 'InspectorGrantEnded', data: { grantId: 'gr1', accountId: 'i1', reason: 'проверка окончена' } },
    ]);
    const ended: SchoolEvent = { type: 'InspectorGrantEnded', data: { grantId: 'gr1', accountId: 'i1', reason: 'проверка окончена' } };
    expect(fold([created, granted]).inspectors).toEqual(['i1']);
    expect(fold([created, granted, ended]).inspectors).toEqual([]);
    spec.given([created, granted, ended]).when({ type: 'EndInspectorGrant', grantId: 'gr1', reason: 'ещё раз' }).thenRefuses('ALREADY_ENDED');
    spec.given([created, granted]).when({ type: 'EndInspectorGrant', grantId: 'nope', reason: 'ещё раз' }).thenRefuses('NOT_FOUND');
  });

  it('events recorded before ids existed get stable derived ones, and can be ended by them', () => {
    const oldAssignment: SchoolEvent = { type: 'TeacherAssigned', data: { groupId: 'g1', teacherId: 't5' } };
    const oldLink: SchoolEvent = { type: 'ParentLinked', data: { studentId: 's1', parentId: 'p1' } };
    const oldGrant: SchoolEvent = { type: 'InspectorGranted', data: { schoolId: S, accountId: 'i1' } };
    const state = fold([...school, oldAssignment, oldLink, oldGrant]);
    const assignmentId = legacyAssignmentId('g1', 't5');
    expect(state.assignments[assignmentId]).toEqual({ assignmentId, groupId: 'g1', teacherId: 't5', endsOn: null });
    expect(state.parentLinksById[legacyLinkId('s1', 'p1')]).toMatchObject({ studentId: 's1', parentId: 'p1', ended: false });
    expect(state.inspectorGrants[legacyGrantId(S, 'i1')]).toMatchObject({ accountId: 'i1', ended: false });
    expect(legacyAssignmentId('g1', 't5')).toBe(assignmentId);
    spec.given([...school, oldAssignment]).when({ type: 'EndAssignment', assignmentId, on: '2026-09-11', reason: 'увольнение' }).then([
      { type: 'AssignmentEnded', data: { assignmentId, groupId: 'g1', teacherId: 't5', on: '2026-09-11', reason: 'увольнение' } },
    ]);
  });

  it('ignores an event naming what the state does not have (the event that made it may be void)', () => {
    const orphans: SchoolEvent[] = [
      { type: 'AssignmentEnded', data: { assignmentId: 'a1', groupId: 'g1', teacherId: 't5', on: '2026-09-11', reason: 'увольнение' } },
      { type: 'ParentLinkEnded', data: { linkId: 'l1', studentId: 's1', parentId: 'p1', reason: 'лишение прав' } },
      { type: 'InspectorGrantEnded', data: { grantId: 'gr1', accountId: 'i1', reason: 'проверка окончена' } },
      { type: 'ClassTeacherChanged', data: { classId: 'nope', teacherId: 't7', on: '2026-09-21', previousTeacherId: 't1' } },
      { type: 'SubstitutionRegistered', data: { substitutionId: 'x', groupId: 'nope', date: '2026-09-08', teacherId: 't9', slot: null, reason: null } },
      { type: 'TeacherAssigned', data: { groupId: 'nope', teacherId: 't5', assignmentId: 'a9' } },
      { type: 'StudentTransferred', data: { studentId: 'nobody', fromClassId: '5a', toClassId: '5b', on: '2026-09-14' } },
    ];
    expect(fold([...school, ...orphans])).toEqual(fold(school));
  });
});

/** Commands a generated history is made of: every id from small pools, so they meet often. */
const pick = <T>(items: readonly T[]) => fc.constantFrom(...items);
const ids = { group: ['g1', 'g2'], teacher: ['t1', 't5', 't7'], assignment: ['a1', 'a2', 'a3'], link: ['l1', 'l2'], parent: ['p1', 'p2'], grant: ['gr1', 'gr2'], inspector: ['i1', 'i2'] };
const dates = ['2026-09-07', '2026-09-14', '2026-09-21', '2026-11-10'];
const command: fc.Arbitrary<SchoolCommand> = fc.oneof(
  fc.record({ type: fc.constant('AssignTeacher' as const), assignmentId: pick(ids.assignment), groupId: pick(ids.group), teacherId: pick(ids.teacher), teacher: fc.constant(teacher) }),
  fc.record({ type: fc.constant('EndAssignment' as const), assignmentId: pick(ids.assignment), on: pick(dates), reason: fc.constant('причина') }),
  fc.record({ type: fc.constant('ChangeClassTeacher' as const), classId: pick(['5a', '5b']), teacherId: pick(ids.teacher), on: pick(dates), teacher: fc.constant(teacher) }),
  fc.record({ type: fc.constant('LinkParent' as const), linkId: pick(ids.link), studentId: fc.constant('s1'), parentId: pick(ids.parent), parent: fc.constant(parent) }),
  fc.record({ type: fc.constant('EndParentLink' as const), linkId: pick(ids.link), reason: fc.constant('причина') }),
  fc.record({ type: fc.constant('GrantInspector' as const), grantId: pick(ids.grant), accountId: pick(ids.inspector), account: fc.constant<AccountFacts>({ schoolId: 'other', roles: ['inspector'] }) }),
  fc.record({ type: fc.constant('EndInspectorGrant' as const), grantId: pick(ids.grant), reason: fc.constant('причина') }),
  fc.record({
    type: fc.constant('RegisterSubstitution' as const),
    substitutionId: pick(['x1', 'x2', 'x3']),
    groupId: pick(ids.group),
    date: pick(dates),
    teacherId: pick(ids.teacher),
    slot: fc.option(fc.integer({ min: 1, max: 3 })),
    reason: fc.constant(null),
    teacher: fc.constant(teacher),
  }),
  fc.record({ type: fc.constant('TransferStudent' as const), studentId: fc.constant('s1'), toClassId: pick(['5a', '5b']), on: pick(dates) }),
);

describe('property: evolveSchool is total over any subsequence of its stream', () => {
  it('a history with any of its events left out (as voiding leaves them out) folds without throwing, and every access fact names what exists', () => {
    const g2: SchoolEvent = { type: 'GroupCreated', data: { groupId: 'g2', classId: '5b', subjectId: 'math', name: '5Б Математика', studentIds: null } };
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), (commands, kept) => {
        let state = fold([...school, g2]);
        const history: SchoolEvent[] = [...school, g2];
        for (const c of commands) {
          try {
            const events = decideSchool(c, state);
            history.push(...events);
            state = events.reduce(evolveSchool, state);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
          }
        }
        const subsequence = history.filter((_, i) => kept[i % kept.length]);
        const folded = fold(subsequence);
        for (const a of Object.values(folded.assignments)) expect(folded.groups[a.groupId]).toBeDefined();
        for (const s of Object.values(folded.substitutions)) expect(folded.groups[s.groupId]).toBeDefined();
        for (const [studentId, parents] of Object.entries(folded.parentLinks)) {
          expect(parents).toEqual([...new Set(Object.values(folded.parentLinksById).filter((l) => l.studentId === studentId && !l.ended).map((l) => l.parentId))]);
        }
        expect(folded.inspectors.every((i) => Object.values(folded.inspectorGrants).some((g) => g.accountId === i && !g.ended))).toBe(true);
        // Deciding over the subsequence never throws anything but a refusal.
        for (const c of commands.slice(0, 10)) {
          try {
            decideSchool(c, folded);
          } catch (error) {
            expect(error).toBeInstanceOf(DomainError);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
