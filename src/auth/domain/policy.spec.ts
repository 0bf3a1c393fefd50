import { evolveSchool, initialSchoolState, SchoolEvent } from '../../school/domain/school.decider';
import { authorize, CONSENT_NOT_GIVEN, feedScope, needsConsent, Subject } from './policy';

const S = 'school-1';
const TODAY = '2026-09-07';
const school = (
  [
    { type: 'SchoolCreated', data: { schoolId: S, name: 'Школа', timezone: 'Europe/Moscow' } },
    { type: 'YearCreated', data: { yearId: 'y1', name: '2026/27', startsOn: '2026-09-01', endsOn: '2027-05-31', periods: [], holidays: [] } },
    { type: 'ClassCreated', data: { classId: '5a', yearId: 'y1', name: '5А', classTeacherId: 'ct' } },
    { type: 'StudentAdmitted', data: { studentId: 's1', fullName: 'Иванов Иван', classId: '5a', birthDate: null, accountId: 'st' } },
    { type: 'ParentLinked', data: { studentId: 's1', parentId: 'p1' } },
  ] as SchoolEvent[]
).reduce(evolveSchool, initialSchoolState());
const who = (accountId: string, ...roles: Subject['roles']): Subject => ({ accountId, schoolId: S, roles });
const parent = who('p1', 'parent');

describe('access policy: parents and the diary', () => {
  it('the diary routes a parent needs consent for', () => {
    expect(['diary.read', 'diary.acknowledge'].every((a) => needsConsent(a as never))).toBe(true);
    expect(needsConsent('consent.record')).toBe(false);
  });

  it('a linked parent without a granted consent is refused with "consent not given"; with one, allowed', () => {
    for (const action of ['diary.read', 'diary.acknowledge'] as const) {
      expect(authorize(parent, action, { studentId: 's1' }, school, TODAY)).toEqual({ allowed: false, status: 403, reason: CONSENT_NOT_GIVEN });
      expect(authorize(parent, action, { studentId: 's1', consentGiven: false }, school, TODAY)).toMatchObject({ allowed: false, reason: 'consent not given' });
      expect(authorize(parent, action, { studentId: 's1', consentGiven: true }, school, TODAY)).toEqual({ allowed: true, actingAs: 'parent' });
    }
  });

  it('a parent of another child is refused for another reason, consent or not', () => {
    const decision = authorize(who('p2', 'parent'), 'diary.read', { studentId: 's1', consentGiven: true }, school, TODAY);
    expect(decision).toMatchObject({ allowed: false, status: 403 });
    expect(decision.allowed || decision.reason).not.toBe(CONSENT_NOT_GIVEN);
  });

  it('the student reads only their own diary; the class teacher and the administration read the school’s', () => {
    expect(authorize(who('st', 'student'), 'diary.read', { studentId: 's1' }, school, TODAY)).toMatchObject({ allowed: true });
    expect(authorize(who('other', 'student'), 'diary.read', { studentId: 's1' }, school, TODAY)).toMatchObject({ allowed: false, status: 403 });
    expect(authorize(who('ct', 'teacher'), 'diary.read', { studentId: 's1' }, school, TODAY)).toEqual({ allowed: true, actingAs: 'teacher' });
    expect(authorize(who('d', 'director'), 'diary.read', { studentId: 's1' }, school, TODAY)).toMatchObject({ allowed: true });
    expect(authorize(who('t2', 'teacher'), 'diary.read', { studentId: 's1' }, school, TODAY)).toMatchObject({ allowed: false, status: 403 });
  });

  it('an unknown student in the path is 404', () => {
    for (const action of ['diary.read', 'diary.acknowledge', 'extract.read'] as const) {
      expect(authorize(who('d', 'deputy'), action, { studentId: 'nobody' }, school, TODAY)).toMatchObject({ allowed: false, status: 404 });
    }
  });

  it('consents: the parent for themself, the class teacher and a deputy; the extract and the class lists: the school only', () => {
    expect(authorize(parent, 'consent.record', { studentId: 's1', parentId: 'p1' }, school, TODAY)).toEqual({ allowed: true, actingAs: 'parent' });
    expect(authorize(parent, 'consent.record', { studentId: 's1', parentId: 'p9' }, school, TODAY)).toMatchObject({ allowed: false, status: 403 });
    expect(authorize(who('ct', 'teacher'), 'consent.record', { studentId: 's1', parentId: 'p1' }, school, TODAY)).toMatchObject({ allowed: true });
    expect(authorize(who('t2', 'teacher'), 'consent.record', { studentId: 's1', parentId: 'p1' }, school, TODAY)).toMatchObject({ allowed: false });
    expect(authorize(parent, 'extract.read', { studentId: 's1' }, school, TODAY)).toMatchObject({ allowed: false, status: 403 });
    expect(authorize(who('ct', 'teacher'), 'acknowledgement.read', { classId: '5a' }, school, TODAY)).toMatchObject({ allowed: true });
    expect(authorize(who('d', 'director'), 'acknowledgement.read', { classId: '5a' }, school, TODAY)).toMatchObject({ allowed: false });
    expect(authorize(who('d', 'director'), 'consent.read', { classId: '5a' }, school, TODAY)).toMatchObject({ allowed: true });
  });
});

describe('access policy: an id in the body that names nothing is the command’s to refuse (404)', () => {
  it('a class teacher naming an unknown class or student is let through; a teacher who is no class teacher, or a parent, is refused', () => {
    expect(authorize(who('ct', 'teacher'), 'student.admit', { classId: 'nowhere' }, school, TODAY)).toEqual({ allowed: true, actingAs: 'teacher' });
    expect(authorize(who('ct', 'teacher'), 'parent.link', { studentId: 'nobody' }, school, TODAY)).toEqual({ allowed: true, actingAs: 'teacher' });
    expect(authorize(who('t2', 'teacher'), 'student.admit', { classId: 'nowhere' }, school, TODAY)).toMatchObject({ allowed: false, status: 403 });
    expect(authorize(who('t2', 'teacher'), 'parent.link', { studentId: 'nobody' }, school, TODAY)).toMatchObject({ allowed: false, status: 403 });
    expect(authorize(who('p1', 'parent'), 'parent.link', { studentId: 'nobody' }, school, TODAY)).toMatchObject({ allowed: false, status: 403 });
  });
});

describe('access policy: the change feed', () => {
  const taught = (
    [
      { type: 'SubjectCreated', data: { subjectId: 'math', name: 'Математика' } },
      { type: 'GroupCreated', data: { groupId: 'g1', classId: '5a', subjectId: 'math', name: 'Математика', studentIds: null } },
      { type: 'TeacherAssigned', data: { groupId: 'g1', teacherId: 't1', assignmentId: 'a1' } },
    ] as SchoolEvent[]
  ).reduce(evolveSchool, school);

  it('the administration, system administrators, security officers and inspectors read the whole school; a teacher the journals of their groups', () => {
    for (const role of ['director', 'deputy', 'sysadmin', 'security_officer', 'inspector'] as const) {
      const decision = authorize(who('x', role), 'feed.read', {}, taught, TODAY);
      expect(decision).toEqual({ allowed: true, actingAs: role });
      expect(feedScope(role, who('x', role), taught, TODAY)).toBe('school');
    }
    expect(authorize(who('t1', 'teacher'), 'feed.read', {}, taught, TODAY)).toEqual({ allowed: true, actingAs: 'teacher' });
    expect(feedScope('teacher', who('t1', 'teacher'), taught, TODAY)).toEqual({ groups: ['g1'] });
    expect(feedScope('teacher', who('t2', 'teacher'), taught, TODAY)).toEqual({ groups: [] });
  });

  it('parents, students and the regional administrator are refused with a reason', () => {
    for (const subject of [parent, who('st', 'student'), who('admin', 'admin')]) {
      const decision = authorize(subject, 'feed.read', {}, taught, TODAY);
      expect(decision).toMatchObject({ allowed: false, status: 403 });
      expect(decision.allowed || decision.reason).toMatch(/change feed/);
    }
  });
});
