import { startTestApp, TestApp } from '../support/app';
import { ADMIN_PASSWORD, api, buildSchool, COLUMNS_COUNT, PASSWORD, SchoolWorld } from '../support/school-fixture';
import type { MatrixSpares } from './role-matrix';

/** The things matrix cells consume (see MatrixSpares), made through the API once. */
export async function makeSpares(server: TestApp['server'], world: SchoolWorld): Promise<MatrixSpares> {
  const client = api(server);
  const created = async (path: string, token: string | null, body: object) => {
    const response = await client.post(path, token, body);
    if (response.status !== 201) throw new Error(`${path}: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.id as string;
  };
  const { admin, deputy } = world.tokens;
  const s = `/schools/${world.schoolId}`;
  const teacher = world.tokens.assignedTeacher;
  const lesson = await created(`${s}/groups/${world.groupId}/lessons`, teacher, { date: '2026-09-07', slot: 1, topic: 'Матрица' });
  const oneStudentGroup = async (name: string) => {
    const student = await created(`${s}/students`, deputy, { fullName: `Один ${name}`, classId: world.classId });
    const group = await created(`${s}/groups`, deputy, { classId: world.classId, subjectId: world.subjectId, name, studentIds: [student] });
    await created(`${s}/assignments`, deputy, { teacherId: world.accounts.assignedTeacher, groupId: group });
    for (const periodId of world.periodIds) await created(`${s}/groups/${group}/final-marks`, deputy, { periodId, studentId: student, value: '5' });
    return group;
  };
  const consentStudents: string[] = [];
  for (let i = 0; i < COLUMNS_COUNT; i++) {
    const student = await created(`${s}/students`, deputy, { fullName: `Согласие ${i}`, classId: world.classId });
    await created(`${s}/parent-links`, deputy, { parentId: world.accounts.parent, studentId: student });
    consentStudents.push(student);
  }
  const unlockGroup = await oneStudentGroup('Отпереть');
  for (const periodId of world.periodIds) await created(`${s}/groups/${unlockGroup}/periods/${periodId}/lock`, deputy, {});
  // An intruder's account: one operation per cell after the moment, then reported.
  await created(`${s}/accounts`, admin, { login: 'matrix-intruder', password: PASSWORD, fullName: 'Нарушитель', roles: ['deputy'] });
  const intruder = await client.login('matrix-intruder');
  const voided: { eventIds: string[]; recordedAt: string }[] = [];
  for (let i = 0; i < COLUMNS_COUNT; i++) {
    const response = await client.post(`${s}/subjects`, intruder, { name: `Подложный предмет ${i}` });
    if (response.status !== 201) throw new Error(`intruder write: ${response.status}`);
    voided.push(response.body);
  }
  const intruderId = (await client.get('/auth/me', intruder)).body.accountId as string;
  const spareGroup = await created(`${s}/groups`, deputy, { classId: world.otherClassId, subjectId: world.subjectId, name: 'Заканчиваемая' });
  const otherInspector = await created(`/schools/${world.otherSchoolId}/accounts`, admin, { login: 'matrix-inspector-2', password: PASSWORD, fullName: 'Инспектор 2', roles: ['inspector'] });
  const linksToEnd: string[] = [];
  for (let i = 0; i < COLUMNS_COUNT; i++) {
    const student = await created(`${s}/students`, deputy, { fullName: `Отвязной ${i}`, classId: world.classId });
    linksToEnd.push(await created(`${s}/parent-links`, deputy, { parentId: world.accounts.otherParent, studentId: student }));
  }
  const incident = await created(`${s}/incidents`, world.tokens.securityOfficer, { accountId: intruderId, effectiveFrom: voided[0].recordedAt });
  // An account to erase must be blocked first: a report blocks it.
  const accountToErase = await created(`${s}/accounts`, admin, { login: 'matrix-erased', password: PASSWORD, fullName: 'Стираемый', roles: ['teacher'] });
  await created(`${s}/incidents`, world.tokens.securityOfficer, { accountId: accountToErase });
  return {
    accountToErase,
    studentToErase: await created(`${s}/students`, deputy, { fullName: 'Стираемый ученик', classId: world.otherClassId }),
    assignmentToEnd: await created(`${s}/assignments`, deputy, { teacherId: world.teacherOf5b, groupId: spareGroup }),
    spareClass: await created(`${s}/classes`, deputy, { yearId: world.yearId, name: 'Запасной', classTeacherId: world.teacherOf5b }),
    classTeacherCandidate: await created(`${s}/accounts`, admin, { login: 'matrix-class-teacher', password: PASSWORD, fullName: 'Будущий классный', roles: ['teacher'] }),
    linksToEnd,
    grantToEnd: await created(`${s}/inspector-grants`, admin, { accountId: otherInspector }),
    rolesTarget: await created(`${s}/accounts`, admin, { login: 'matrix-roles', password: PASSWORD, fullName: 'Повышаемый', roles: ['teacher'] }),
    incidentTargets: await Promise.all(
      Array.from({ length: COLUMNS_COUNT }, (_, i) => created(`${s}/accounts`, admin, { login: `matrix-target-${i}`, password: PASSWORD, fullName: `Цель ${i}`, roles: ['teacher'] })),
    ),
    incident,
    voidedEvents: voided.map((answer) => answer.eventIds[0]),
    lesson,
    mark: await created(`${s}/lessons/${lesson}/marks`, teacher, { studentId: world.studentId, value: 5, workKind: 'classwork' }),
    attendance: await created(`${s}/lessons/${lesson}/attendance`, teacher, { studentId: world.studentId, code: 'Н' }),
    lockGroup: await oneStudentGroup('Запереть'),
    unlockGroup,
    consentStudents,
    inspectorOfOtherSchool: await created(`/schools/${world.otherSchoolId}/accounts`, admin, { login: 'matrix-inspector', password: PASSWORD, fullName: 'Инспектор', roles: ['inspector'] }),
    reissueTarget: await created(`${s}/accounts`, admin, { login: 'matrix-spare', password: PASSWORD, fullName: 'Запасной', roles: ['teacher'] }),
    movableStudent: await created(`${s}/students`, deputy, { fullName: 'Переводной', classId: world.classId }),
    untaughtGroup: await created(`${s}/groups`, deputy, { classId: world.classId, subjectId: world.subjectId, name: 'Без учителя' }),
    studentsToLink: await Promise.all(Array.from({ length: COLUMNS_COUNT }, (_, i) => created(`${s}/students`, deputy, { fullName: `Связной ${i}`, classId: world.classId }))),
  };
}

/** The service, the school and the spares: what a run over the role matrix's routes needs. */
export async function startMatrixWorld(): Promise<{ subject: TestApp; world: SchoolWorld; spares: MatrixSpares }> {
  const subject = await startTestApp({ env: { ADMIN_PASSWORD } });
  const world = await buildSchool(subject.server);
  return { subject, world, spares: await makeSpares(subject.server, world) };
}

/**
 * The same, started before the calling describe's tests and closed after them; its fields are
 * set once beforeAll has run, so read them inside the tests.
 */
export function useMatrixWorld(): { readonly subject: TestApp; readonly world: SchoolWorld; readonly spares: MatrixSpares } {
  const held = {} as { subject: TestApp; world: SchoolWorld; spares: MatrixSpares };
  beforeAll(async () => {
    Object.assign(held, await startMatrixWorld());
  });
  afterAll(async () => held.subject?.close());
  return held;
}
