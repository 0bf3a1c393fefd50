import request from 'supertest';
import type { TestApp } from './app';

export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const PASSWORD = 'a-long-enough-password';

type Server = TestApp['server'];

/** A thin client for tests: every call returns supertest's response, status unchecked. */
export function api(server: Server) {
  const withToken = (test: request.Test, token: string | null | undefined) => (token ? test.set('Authorization', `Bearer ${token}`) : test);
  return {
    get: (path: string, token?: string | null) => withToken(request(server).get(`/api/v1${path}`), token),
    post: (path: string, token: string | null | undefined, body: object = {}) => withToken(request(server).post(`/api/v1${path}`), token).send(body),
    login: async (login: string, password = PASSWORD) => {
      const response = await request(server).post('/api/v1/auth/login').send({ login, password });
      if (response.status !== 200) throw new Error(`login ${login} answered ${response.status}: ${JSON.stringify(response.body)}`);
      return response.body.accessToken as string;
    },
  };
}

/** Who is in the test school: one key per column of the role matrix. */
export const PEOPLE = [
  'admin',
  'director',
  'deputy',
  'assignedTeacher',
  'otherTeacher',
  'classTeacher',
  'parent',
  'otherParent',
  'student',
  'inspector',
  'sysadmin',
  'securityOfficer',
  'noToken',
  'otherSchool',
] as const;
export type Person = (typeof PEOPLE)[number];
export const COLUMNS_COUNT = PEOPLE.length;

export interface SchoolWorld {
  schoolId: string;
  otherSchoolId: string;
  tokens: Record<Person, string | null>;
  accounts: Record<Exclude<Person, 'noToken'>, string>;
  /** Class teacher of 5Б: a teacher who is none of the matrix's people. */
  teacherOf5b: string;
  yearId: string;
  periodIds: string[];
  subjectId: string;
  classId: string;
  otherClassId: string;
  groupId: string;
  studentId: string;
  otherStudentId: string;
}

async function expectCreated(response: request.Response, what: string): Promise<string> {
  if (response.status !== 201) throw new Error(`${what} answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body.id as string;
}

/** Builds a school entirely through the HTTP API, as API.md says, and signs everyone in. */
export async function buildSchool(server: Server, tag = 'a'): Promise<SchoolWorld> {
  const client = api(server);
  const admin = await client.login('admin', ADMIN_PASSWORD);
  const schoolId = await expectCreated(await client.post('/schools', admin, { name: `Школа ${tag}` }), 'school');
  const otherSchoolId = await expectCreated(await client.post('/schools', admin, { name: `Другая школа ${tag}` }), 'other school');

  const create = async (login: string, roles: string[], school = schoolId) =>
    expectCreated(await client.post(`/schools/${school}/accounts`, admin, { login, password: PASSWORD, fullName: `Person ${login}`, roles }), `account ${login}`);
  const l = (name: string) => `${tag}-${name}`;
  const accounts = {
    admin: '',
    director: await create(l('director'), ['director']),
    deputy: await create(l('deputy'), ['deputy']),
    assignedTeacher: await create(l('teacher'), ['teacher']),
    otherTeacher: await create(l('other-teacher'), ['teacher']),
    classTeacher: await create(l('class-teacher'), ['teacher']),
    parent: await create(l('parent'), ['parent']),
    otherParent: await create(l('other-parent'), ['parent']),
    student: await create(l('student'), ['student']),
    inspector: await create(l('inspector'), ['inspector']),
    sysadmin: await create(l('sysadmin'), ['sysadmin']),
    securityOfficer: await create(l('security'), ['security_officer']),
    otherSchool: await create(l('director-b'), ['director'], otherSchoolId),
  };
  const teacherOf5b = await create(l('teacher-5b'), ['teacher']);
  const me = await client.get('/auth/me', admin);
  accounts.admin = me.body.accountId;

  const deputy = await client.login(l('deputy'));
  const year = await client.post(`/schools/${schoolId}/years`, deputy, {
    name: '2026/27',
    startsOn: '2026-09-01',
    endsOn: '2027-05-31',
    periods: [
      { name: 'I четверть', startsOn: '2026-09-01', endsOn: '2026-10-25' },
      { name: 'II четверть', startsOn: '2026-11-05', endsOn: '2026-12-28' },
    ],
    holidays: [{ startsOn: '2026-10-26', endsOn: '2026-11-04' }],
  });
  const yearId = await expectCreated(year, 'year');
  const subjectId = await expectCreated(await client.post(`/schools/${schoolId}/subjects`, deputy, { name: 'Математика' }), 'subject');
  const classId = await expectCreated(await client.post(`/schools/${schoolId}/classes`, deputy, { yearId, name: '5А', classTeacherId: accounts.classTeacher }), 'class');
  const otherClassId = await expectCreated(await client.post(`/schools/${schoolId}/classes`, deputy, { yearId, name: '5Б', classTeacherId: teacherOf5b }), 'class 5Б');
  const studentId = await expectCreated(
    await client.post(`/schools/${schoolId}/students`, deputy, { fullName: 'Иванов Иван', classId, birthDate: '2015-03-14', accountId: accounts.student }),
    'student',
  );
  const otherStudentId = await expectCreated(await client.post(`/schools/${schoolId}/students`, deputy, { fullName: 'Петров Пётр', classId: otherClassId }), 'student 2');
  const groupId = await expectCreated(await client.post(`/schools/${schoolId}/groups`, deputy, { classId, subjectId }), 'group');
  await expectCreated(await client.post(`/schools/${schoolId}/assignments`, deputy, { teacherId: accounts.assignedTeacher, groupId }), 'assignment');
  await expectCreated(await client.post(`/schools/${schoolId}/parent-links`, deputy, { parentId: accounts.parent, studentId }), 'parent link');
  await expectCreated(await client.post(`/schools/${schoolId}/parent-links`, deputy, { parentId: accounts.otherParent, studentId: otherStudentId }), 'other parent link');
  // The parent's consent on paper (seed 000): without it a parent reads no diary. The other parent has none.
  await expectCreated(await client.post(`/schools/${schoolId}/consents`, deputy, { parentId: accounts.parent, studentId, granted: true, form: 'paper' }), 'consent');

  const tokens: Record<Person, string | null> = {
    admin,
    director: await client.login(l('director')),
    deputy,
    assignedTeacher: await client.login(l('teacher')),
    otherTeacher: await client.login(l('other-teacher')),
    classTeacher: await client.login(l('class-teacher')),
    parent: await client.login(l('parent')),
    otherParent: await client.login(l('other-parent')),
    student: await client.login(l('student')),
    inspector: await client.login(l('inspector')),
    sysadmin: await client.login(l('sysadmin')),
    securityOfficer: await client.login(l('security')),
    noToken: null,
    otherSchool: await client.login(l('director-b')),
  };
  return {
    schoolId,
    otherSchoolId,
    tokens,
    accounts,
    teacherOf5b,
    yearId,
    periodIds: year.body.periods.map((p: { id: string }) => p.id),
    subjectId,
    classId,
    otherClassId,
    groupId,
    studentId,
    otherStudentId,
  };
}
