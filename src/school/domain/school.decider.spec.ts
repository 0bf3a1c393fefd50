import { deciderSpec } from '../../common/testing/given-when-then';
import { classRoster, groupRoster, SchoolEvent, schoolDecider } from './school.decider';
import { ERASED_TEXT } from '../../privacy/domain/personal-fields';
import { class5a, class5b, created, group, ivanov, S, subject, teacher, year } from './school.fixture';

const spec = deciderSpec(schoolDecider);

describe('school structure decider', () => {
  describe('school year', () => {
    const createYear = (periods: { name: string; startsOn: string; endsOn: string }[], startsOn = '2030-09-01', endsOn = '2031-05-31') => ({
      type: 'CreateYear' as const,
      yearId: 'y2',
      name: '2030/31',
      startsOn,
      endsOn,
      periods: periods.map((p, i) => ({ periodId: `p${i}`, ...p })),
      holidays: [],
    });

    it('given a school, when a year with periods inside it is created, then YearCreated', () => {
      const command = createYear([{ name: 'I', startsOn: '2030-09-01', endsOn: '2030-12-28' }]);
      spec.given([created]).when(command).then([{ type: 'YearCreated', data: { yearId: 'y2', name: '2030/31', startsOn: '2030-09-01', endsOn: '2031-05-31', periods: command.periods, holidays: [] } }]);
    });

    it('refuses overlapping periods, naming the later one', () => {
      spec.given([created]).when(createYear([{ name: 'I', startsOn: '2030-09-01', endsOn: '2030-11-01' }, { name: 'II', startsOn: '2030-10-30', endsOn: '2030-12-28' }])).thenRefuses('VALIDATION_FAILED', 'periods.1');
    });

    it('refuses a period outside the year, and a year that ends before it starts', () => {
      spec.given([created]).when(createYear([{ name: 'I', startsOn: '2030-08-20', endsOn: '2030-10-01' }])).thenRefuses('VALIDATION_FAILED', 'periods.0');
      spec.given([created]).when(createYear([{ name: 'I', startsOn: '2030-09-01', endsOn: '2030-10-01' }], '2031-09-01', '2030-09-01')).thenRefuses('VALIDATION_FAILED', 'endsOn');
    });

    it('refuses a year whose dates another year covers', () => {
      spec.given([created, year]).when(createYear([{ name: 'I', startsOn: '2027-01-10', endsOn: '2027-03-01' }], '2027-01-10', '2027-08-31')).thenRefuses('ALREADY_EXISTS');
    });
  });

  describe('classes, students and groups', () => {
    it('refuses a class teacher who is not a teacher of this school', () => {
      const command = { type: 'CreateClass' as const, classId: 'c9', yearId: 'y1', name: '9А', classTeacherId: 'p1' };
      spec.given([created, year]).when({ ...command, classTeacher: { schoolId: S, roles: ['parent'] } }).thenRefuses('VALIDATION_FAILED', 'classTeacherId');
      spec.given([created, year]).when({ ...command, classTeacher: { schoolId: 'other', roles: ['teacher'] } }).thenRefuses('VALIDATION_FAILED', 'classTeacherId');
      spec.given([created, year]).when({ ...command, classTeacher: teacher }).then([{ type: 'ClassCreated', data: { classId: 'c9', yearId: 'y1', name: '9А', classTeacherId: 'p1' } }]);
    });

    it('refuses a second class of the same name in a year', () => {
      spec.given([created, year, class5a]).when({ type: 'CreateClass', classId: 'c2', yearId: 'y1', name: '5а', classTeacherId: 't3', classTeacher: teacher }).thenRefuses('ALREADY_EXISTS');
    });

    it('keeps transfers as history: the roster of each date follows them, and nothing is rewritten', () => {
      const transferred: SchoolEvent = { type: 'StudentTransferred', data: { studentId: 's1', fromClassId: '5a', toClassId: '5b', on: '2026-11-10' } };
      const { state } = spec.given([created, year, subject, class5a, class5b, ivanov, group, transferred]);
      expect(classRoster(state, '5a', '2026-11-09')).toEqual(['s1']);
      expect(classRoster(state, '5a', '2026-11-10')).toEqual([]);
      expect(classRoster(state, '5b', '2026-11-10')).toEqual(['s1']);
      expect(groupRoster(state, 'g1', '2026-11-09')).toEqual(['s1']);
      expect(groupRoster(state, 'g1', '2026-11-10')).toEqual([]);
      spec.given([created, year, subject, class5a, class5b, ivanov, transferred]).when({ type: 'TransferStudent', studentId: 's1', toClassId: '5a', on: '2026-11-01' }).thenRefuses('VALIDATION_FAILED', 'on');
    });

    it('given a student, when a transfer lands outside the target year, then it is refused', () => {
      spec.given([created, year, class5a, class5b, ivanov]).when({ type: 'TransferStudent', studentId: 's1', toClassId: '5b', on: '2027-07-01' }).thenRefuses('VALIDATION_FAILED', 'on');
    });

    it('refuses a fixed group list naming a student of another class', () => {
      const other: SchoolEvent = { type: 'StudentAdmitted', data: { studentId: 's2', fullName: 'Петров Пётр', classId: '5b', birthDate: null, accountId: null } };
      spec.given([created, year, subject, class5a, class5b, ivanov, other])
        .when({ type: 'CreateGroup', groupId: 'g2', classId: '5a', subjectId: 'math', name: null, studentIds: ['s1', 's2'] })
        .thenRefuses('VALIDATION_FAILED', 'studentIds.1');
    });

    it('assigns a teacher once, and links a parent account once', () => {
      const assigned: SchoolEvent = { type: 'TeacherAssigned', data: { groupId: 'g1', teacherId: 't5', assignmentId: 'a1' } };
      spec.given([created, year, subject, class5a, ivanov, group]).when({ type: 'AssignTeacher', assignmentId: 'a1', groupId: 'g1', teacherId: 't5', teacher }).then([assigned]);
      spec.given([created, year, subject, class5a, ivanov, group, assigned]).when({ type: 'AssignTeacher', assignmentId: 'a2', groupId: 'g1', teacherId: 't5', teacher }).thenRefuses('ALREADY_EXISTS');
      const parent = { schoolId: S, roles: ['parent' as const] };
      spec.given([created, year, class5a, ivanov]).when({ type: 'LinkParent', linkId: 'l1', studentId: 's1', parentId: 'p1', parent }).then([{ type: 'ParentLinked', data: { studentId: 's1', parentId: 'p1', linkId: 'l1' } }]);
      spec.given([created, year, class5a, ivanov]).when({ type: 'LinkParent', linkId: 'l1', studentId: 's1', parentId: 't1', parent: teacher }).thenRefuses('VALIDATION_FAILED', 'parentId');
    });
  });

  it('an id that names nothing in the school is NOT_FOUND naming the field; one that names the wrong thing stays a 400', () => {
    const structure = [created, year, subject, class5a, class5b, ivanov, group];
    spec.given(structure).when({ type: 'CreateClass', classId: 'c9', yearId: 'y9', name: '9А', classTeacherId: 't1', classTeacher: teacher }).thenRefuses('NOT_FOUND', 'yearId');
    spec.given(structure).when({ type: 'CreateClass', classId: 'c9', yearId: 'y1', name: '9А', classTeacherId: 'x', classTeacher: null }).thenRefuses('NOT_FOUND', 'classTeacherId');
    spec.given(structure).when({ type: 'AdmitStudent', studentId: 's9', fullName: 'Новиков', classId: 'c9', birthDate: null, accountId: null, account: null }).thenRefuses('NOT_FOUND', 'classId');
    spec.given(structure).when({ type: 'AdmitStudent', studentId: 's9', fullName: 'Новиков', classId: '5a', birthDate: null, accountId: 'x', account: null }).thenRefuses('NOT_FOUND', 'accountId');
    spec.given(structure).when({ type: 'TransferStudent', studentId: 's1', toClassId: 'c9', on: '2026-11-10' }).thenRefuses('NOT_FOUND', 'toClassId');
    spec.given(structure).when({ type: 'CreateGroup', groupId: 'g2', classId: 'c9', subjectId: 'math', name: null, studentIds: null }).thenRefuses('NOT_FOUND', 'classId');
    spec.given(structure).when({ type: 'CreateGroup', groupId: 'g2', classId: '5a', subjectId: 'art', name: null, studentIds: null }).thenRefuses('NOT_FOUND', 'subjectId');
    spec.given(structure).when({ type: 'CreateGroup', groupId: 'g2', classId: '5a', subjectId: 'math', name: null, studentIds: ['s1', 's9'] }).thenRefuses('NOT_FOUND', 'studentIds.1');
    spec.given(structure).when({ type: 'AssignTeacher', assignmentId: 'as9', groupId: 'g9', teacherId: 't5', teacher }).thenRefuses('NOT_FOUND', 'groupId');
    spec.given(structure).when({ type: 'AssignTeacher', assignmentId: 'as9', groupId: 'g1', teacherId: 'x', teacher: null }).thenRefuses('NOT_FOUND', 'teacherId');
    spec.given(structure).when({ type: 'LinkParent', linkId: 'l9', studentId: 's9', parentId: 'p1', parent: { schoolId: S, roles: ['parent'] } }).thenRefuses('NOT_FOUND', 'studentId');
    spec.given(structure).when({ type: 'LinkParent', linkId: 'l9', studentId: 's1', parentId: 'x', parent: null }).thenRefuses('NOT_FOUND', 'parentId');
    spec.given(structure).when({ type: 'GrantInspector', grantId: 'gr9', accountId: 'x', account: null }).thenRefuses('NOT_FOUND', 'accountId');
    spec.given(structure).when({ type: 'GrantInspector', grantId: 'gr9', accountId: 't1', account: teacher }).thenRefuses('VALIDATION_FAILED', 'accountId');
  });

  it('refuses anything on a school that does not exist', () => {
    spec.given([]).when({ type: 'CreateSubject', subjectId: 'x', name: 'Физика' }).thenRefuses('NOT_FOUND');
  });
});

describe('school settings', () => {
  it('given defaults, when the Н/А threshold changes, then SchoolSettingsChanged with the whole settings; the same again is refused', () => {
    spec.given([created]).when({ type: 'ChangeSettings', settings: { minMarksForAttestation: 2 } }).then([{ type: 'SchoolSettingsChanged', data: { minMarksForAttestation: 2 } }]);
    spec.given([created]).when({ type: 'ChangeSettings', settings: { minMarksForAttestation: 3 } }).thenRefuses('VALIDATION_FAILED', 'settings');
  });

  it('given a student, when their personal data is erased, then PersonalDataErased, their name reads as erased, and a second erasure is refused', () => {
    const erase = { type: 'EraseStudentData' as const, studentId: 's1', basis: 'retention-expired' as const };
    const erased: SchoolEvent = { type: 'PersonalDataErased', data: { person: 'student', studentId: 's1', basis: 'retention-expired' } };
    spec.given([created, year, class5a, ivanov]).when(erase).then([erased]);
    const { state } = spec.given([created, year, class5a, { ...ivanov, data: { ...ivanov.data, birthDate: '2015-03-01' } } as SchoolEvent, erased]);
    expect(state.students.s1).toMatchObject({ fullName: ERASED_TEXT, birthDate: null, erased: true, placements: [{ classId: '5a' }] });
    spec.given([created, year, class5a, ivanov, erased]).when(erase).thenRefuses('ALREADY_ERASED');
    spec.given([created, year, class5a]).when(erase).thenRefuses('NOT_FOUND');
  });
});
