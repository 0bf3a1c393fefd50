import { evolveSchool, initialSchoolState, SchoolEvent } from '../../school/domain/school.decider';
import { authorize, Subject } from './policy';

/**
 * Rights follow the date (issue 12 point 5, SPEC §2): the policy decides with the class teachers,
 * assignments and placements of the school's today, which its caller brings.
 */
const S = 'school-1';
const history: SchoolEvent[] = [
  { type: 'SchoolCreated', data: { schoolId: S, name: 'Школа', timezone: 'Europe/Moscow' } },
  { type: 'YearCreated', data: { yearId: 'y1', name: '2026/27', startsOn: '2026-09-01', endsOn: '2027-05-31', periods: [], holidays: [] } },
  { type: 'SubjectCreated', data: { subjectId: 'math', name: 'Математика' } },
  { type: 'ClassCreated', data: { classId: '5a', yearId: 'y1', name: '5А', classTeacherId: 'ct' } },
  { type: 'ClassCreated', data: { classId: '5b', yearId: 'y1', name: '5Б', classTeacherId: 'ct-b' } },
  { type: 'StudentAdmitted', data: { studentId: 's1', fullName: 'Иванов Иван', classId: '5a', birthDate: null, accountId: null } },
  { type: 'StudentAdmitted', data: { studentId: 's2', fullName: 'Петров Пётр', classId: '5a', birthDate: null, accountId: null } },
  { type: 'GroupCreated', data: { groupId: 'g1', classId: '5a', subjectId: 'math', name: '5А Математика', studentIds: null } },
  { type: 'TeacherAssigned', data: { groupId: 'g1', teacherId: 't1', assignmentId: 'a1' } },
  { type: 'ParentLinked', data: { studentId: 's2', parentId: 'p1', linkId: 'l1' } },
  { type: 'InspectorGranted', data: { schoolId: S, accountId: 'i1', grantId: 'gr1' } },
  // From 2026-09-14 the student is in 5Б; from 2026-09-21 5А has a new class teacher; t1 stops teaching g1 on 2026-09-11.
  { type: 'StudentTransferred', data: { studentId: 's1', fromClassId: '5a', toClassId: '5b', on: '2026-09-14' } },
  { type: 'ClassTeacherChanged', data: { classId: '5a', teacherId: 'ct-new', on: '2026-09-21', previousTeacherId: 'ct' } },
  { type: 'AssignmentEnded', data: { assignmentId: 'a1', groupId: 'g1', teacherId: 't1', on: '2026-09-11', reason: 'увольнение' } },
];
const school = history.reduce(evolveSchool, initialSchoolState());
const who = (accountId: string, ...roles: Subject['roles']): Subject => ({ accountId, schoolId: S, roles });
const allowed = (subject: Subject, action: Parameters<typeof authorize>[1], target: Parameters<typeof authorize>[2], today: string) => authorize(subject, action, target, school, today).allowed;

describe('access policy: rights follow the date', () => {
  it('a teacher whose assignment ended reads and writes nothing of the group from its end date', () => {
    const t1 = who('t1', 'teacher');
    for (const action of ['journal.read', 'final-mark.set', 'final-mark.suggest', 'period.lock'] as const) {
      expect(allowed(t1, action, { groupId: 'g1' }, '2026-09-10')).toBe(true);
      expect(allowed(t1, action, { groupId: 'g1' }, '2026-09-11')).toBe(false);
    }
    expect(allowed(t1, 'class.read', { classId: '5a' }, '2026-09-10')).toBe(true);
    expect(allowed(t1, 'class.read', { classId: '5a' }, '2026-09-11')).toBe(false);
  });

  it('the class teacher of a transferred student reads that diary until the transfer, the new one from it', () => {
    expect(allowed(who('ct', 'teacher'), 'diary.read', { studentId: 's1' }, '2026-09-13')).toBe(true);
    expect(allowed(who('ct', 'teacher'), 'diary.read', { studentId: 's1' }, '2026-09-14')).toBe(false);
    expect(allowed(who('ct-b', 'teacher'), 'diary.read', { studentId: 's1' }, '2026-09-13')).toBe(false);
    expect(allowed(who('ct-b', 'teacher'), 'diary.read', { studentId: 's1' }, '2026-09-14')).toBe(true);
    expect(allowed(who('ct', 'teacher'), 'extract.read', { studentId: 's1' }, '2026-09-14')).toBe(false);
  });

  it('a replaced class teacher loses the class, its journals, its students and its parents’ links from the change; the new one gains them', () => {
    const [before, after] = ['2026-09-20', '2026-09-21'];
    for (const [action, target] of [
      ['class.read', { classId: '5a' }],
      ['journal.read', { groupId: 'g1' }],
      ['diary.read', { studentId: 's2' }],
      ['daily-absence.record', { classId: '5a' }],
      ['acknowledgement.read', { classId: '5a' }],
      ['parent.link', { studentId: 's2' }],
      ['parent-link.end', { linkId: 'l1' }],
      ['account.create', { roles: ['parent'] }],
    ] as const) {
      expect([action, allowed(who('ct', 'teacher'), action, target, before), allowed(who('ct', 'teacher'), action, target, after)]).toEqual([action, true, false]);
      expect([action, allowed(who('ct-new', 'teacher'), action, target, before), allowed(who('ct-new', 'teacher'), action, target, after)]).toEqual([action, false, true]);
    }
  });

  it('an ended parent link or inspector grant counts no more', () => {
    const ended = [
      ...history,
      { type: 'ParentLinkEnded', data: { linkId: 'l1', studentId: 's2', parentId: 'p1', reason: 'лишение прав' } },
      { type: 'InspectorGrantEnded', data: { grantId: 'gr1', accountId: 'i1', reason: 'проверка окончена' } },
    ] as SchoolEvent[];
    const after = ended.reduce(evolveSchool, initialSchoolState());
    const parent = who('p1', 'parent');
    const inspector: Subject = { accountId: 'i1', schoolId: 'other', roles: ['inspector'] };
    expect(authorize(parent, 'diary.read', { studentId: 's2', consentGiven: true }, school, '2026-09-07')).toMatchObject({ allowed: true });
    expect(authorize(parent, 'diary.read', { studentId: 's2', consentGiven: true }, after, '2026-09-07')).toMatchObject({ allowed: false, status: 403 });
    expect(authorize(inspector, 'journal.read', { groupId: 'g1' }, school, '2026-09-07')).toMatchObject({ allowed: true });
    expect(authorize(inspector, 'journal.read', { groupId: 'g1' }, after, '2026-09-07')).toMatchObject({ allowed: false, status: 404 });
  });

  it('the new routes: who registers substitutions, ends and changes access', () => {
    const today = '2026-09-07';
    expect(allowed(who('d', 'deputy'), 'substitution.register', {}, today)).toBe(true);
    expect(allowed(who('dir', 'director'), 'substitution.register', {}, today)).toBe(true);
    expect(allowed(who('t1', 'teacher'), 'substitution.register', {}, today)).toBe(false);
    expect(allowed(who('d', 'deputy'), 'assignment.end', {}, today)).toBe(true);
    expect(allowed(who('dir', 'director'), 'assignment.end', {}, today)).toBe(false);
    expect(allowed(who('d', 'deputy'), 'class-teacher.change', {}, today)).toBe(true);
    expect(authorize(who('d', 'deputy'), 'parent-link.end', { linkId: 'nope' }, school, today)).toMatchObject({ allowed: false, status: 404 });
    expect(allowed({ accountId: 'admin', schoolId: null, roles: ['admin'] }, 'inspector-grant.end', {}, today)).toBe(true);
    expect(allowed(who('d', 'deputy'), 'inspector-grant.end', {}, today)).toBe(false);
    expect(allowed(who('sa', 'sysadmin'), 'account.roles', { accountId: 't1' }, today)).toBe(true);
    expect(allowed(who('sa', 'sysadmin'), 'account.roles', { accountId: 'sa' }, today)).toBe(false);
    expect(allowed(who('dir', 'director'), 'account.roles', { accountId: 't1' }, today)).toBe(false);
  });
});
