/**
 * The role matrix: for every route of API.md built so far, exactly who may use it. It drives
 * test/e2e/role-matrix.e2e.test.ts (every route × every person below) and is rendered into
 * docs/roles.md (`npm run docs:roles`), so the documentation is what the tests prove.
 *
 * Anyone not listed is refused: 401 without a token, 404 from another school (a school one may not
 * see does not exist for one), 403 with a reason otherwise.
 */
import { PEOPLE, Person, SchoolWorld } from '../support/school-fixture';

export interface MatrixRequest {
  method: 'get' | 'post';
  path: string;
  body?: object;
}

/** Spare things a cell may consume, made once before the matrix runs. */
export interface MatrixSpares {
  /** An inspector of the other school, not yet granted this one. */
  inspectorOfOtherSchool: string;
  /** An account whose credentials may be reissued without breaking anyone's token. */
  reissueTarget: string;
  /** A student of the class teacher's class that may be moved. */
  movableStudent: string;
  /** A group nobody teaches yet. */
  untaughtGroup: string;
  /** One student per cell of the class teacher's class, for parent links that must be new. */
  studentsToLink: string[];
  /** A lesson the assigned teacher recorded, its mark and its attendance entry. */
  lesson: string;
  mark: string;
  attendance: string;
  /** A one-student group of the assigned teacher, final marks set in both periods, open. */
  lockGroup: string;
  /** The same, locked in both periods. */
  unlockGroup: string;
  /** One student per cell of the class teacher's class, linked to the parent, no consent yet. */
  consentStudents: string[];
  /** One account per cell that a compromise may be reported on. */
  incidentTargets: string[];
  /** An incident whose account did one operation per cell after the moment: those may be reinstated. */
  incident: string;
  voidedEvents: string[];
  /** A teaching assignment of a spare group (the teacher of 5Б's): ending it touches nobody's rights in the matrix. */
  assignmentToEnd: string;
  /** A spare class, and a teacher who is none of the matrix's people to become its class teacher. */
  spareClass: string;
  classTeacherCandidate: string;
  /** One parent link per cell (the other parent to a student of the class teacher's class). */
  linksToEnd: string[];
  /** A grant of a second inspector of the other school to this one. */
  grantToEnd: string;
  /** An account whose roles may change without touching anyone in the matrix. */
  rolesTarget: string;
  /** A student of 5Б and a blocked account, whose personal data may be erased. */
  studentToErase: string;
  accountToErase: string;
}

export interface MatrixRow {
  route: string;
  allowed: readonly Person[];
  /** What the row means where the rule is not plain. */
  note?: string;
  request(world: SchoolWorld, spares: MatrixSpares, cell: number): MatrixRequest;
}

const everyoneSignedIn: Person[] = PEOPLE.filter((person) => person !== 'noToken');

const s = (w: SchoolWorld) => `/schools/${w.schoolId}`;

export const ROLE_MATRIX: readonly MatrixRow[] = [
  {
    route: 'POST /auth/login',
    allowed: [...everyoneSignedIn, 'noToken'],
    note: 'public; limited on wrong passwords',
    request: () => ({ method: 'post', path: '/auth/login', body: { login: 'a-student', password: 'a-long-enough-password' } }),
  },
  { route: 'GET /auth/me', allowed: everyoneSignedIn, request: () => ({ method: 'get', path: '/auth/me' }) },
  {
    route: 'GET /ledger/checkpoint',
    allowed: [...everyoneSignedIn, 'noToken'],
    note: 'public, as every /ledger route but entry bundles: hashes and sizes only',
    request: () => ({ method: 'get', path: '/ledger/checkpoint' }),
  },
  {
    route: 'GET /ledger/tile/entries/:n',
    allowed: ['admin'],
    note: "the events themselves, of every school: the regional administrator's",
    request: () => ({ method: 'get', path: '/ledger/tile/entries/000.p/1' }),
  },
  {
    route: 'POST /schools',
    allowed: ['admin'],
    request: (_, __, cell) => ({ method: 'post', path: '/schools', body: { name: `Matrix school ${cell}` } }),
  },
  {
    route: 'POST /schools/:schoolId/accounts',
    allowed: ['admin', 'sysadmin', 'classTeacher'],
    note: 'a class teacher creates parent accounts only',
    request: (w, _, cell) => ({
      method: 'post',
      path: `${s(w)}/accounts`,
      body: { login: `matrix-parent-${cell}`, password: 'a-long-enough-password', fullName: `Родитель ${cell}`, roles: ['parent'] },
    }),
  },
  {
    route: 'POST /schools/:schoolId/inspector-grants',
    allowed: ['admin'],
    request: (w, spares) => ({ method: 'post', path: `${s(w)}/inspector-grants`, body: { accountId: spares.inspectorOfOtherSchool } }),
  },
  {
    route: 'GET /schools/:schoolId/accounts/:accountId',
    allowed: ['director', 'sysadmin', 'securityOfficer', 'assignedTeacher'],
    note: "the target is the assigned teacher's own account (self)",
    request: (w) => ({ method: 'get', path: `${s(w)}/accounts/${w.accounts.assignedTeacher}` }),
  },
  {
    route: 'POST /schools/:schoolId/accounts/:accountId/credentials',
    allowed: ['sysadmin'],
    request: (w, spares) => ({ method: 'post', path: `${s(w)}/accounts/${spares.reissueTarget}/credentials`, body: { password: 'another-long-password' } }),
  },
  {
    route: 'POST /schools/:schoolId/years',
    allowed: ['deputy', 'director'],
    request: (w, _, cell) => ({
      method: 'post',
      path: `${s(w)}/years`,
      body: { name: `${2040 + cell}`, startsOn: `${2040 + cell}-01-10`, endsOn: `${2040 + cell}-06-30`, periods: [{ name: 'I', startsOn: `${2040 + cell}-01-10`, endsOn: `${2040 + cell}-06-30` }] },
    }),
  },
  { route: 'POST /schools/:schoolId/subjects', allowed: ['deputy'], request: (w, _, cell) => ({ method: 'post', path: `${s(w)}/subjects`, body: { name: `Предмет ${cell}` } }) },
  {
    route: 'POST /schools/:schoolId/classes',
    allowed: ['deputy'],
    request: (w, _, cell) => ({ method: 'post', path: `${s(w)}/classes`, body: { yearId: w.yearId, name: `${cell}М`, classTeacherId: w.teacherOf5b } }),
  },
  {
    route: 'POST /schools/:schoolId/students',
    allowed: ['deputy', 'classTeacher'],
    note: 'the class teacher only into their own class',
    request: (w, _, cell) => ({ method: 'post', path: `${s(w)}/students`, body: { fullName: `Ученик ${cell}`, classId: w.classId } }),
  },
  {
    route: 'POST /schools/:schoolId/students/:studentId/transfers',
    allowed: ['deputy'],
    request: (w, spares) => ({ method: 'post', path: `${s(w)}/students/${spares.movableStudent}/transfers`, body: { toClassId: w.otherClassId, on: '2026-12-01' } }),
  },
  { route: 'POST /schools/:schoolId/groups', allowed: ['deputy'], request: (w) => ({ method: 'post', path: `${s(w)}/groups`, body: { classId: w.classId, subjectId: w.subjectId } }) },
  {
    route: 'POST /schools/:schoolId/assignments',
    allowed: ['deputy'],
    request: (w, spares) => ({ method: 'post', path: `${s(w)}/assignments`, body: { teacherId: w.teacherOf5b, groupId: spares.untaughtGroup } }),
  },
  {
    route: 'POST /schools/:schoolId/parent-links',
    allowed: ['deputy', 'classTeacher'],
    note: "the class teacher only for students of their class",
    request: (w, spares, cell) => ({ method: 'post', path: `${s(w)}/parent-links`, body: { parentId: w.accounts.parent, studentId: spares.studentsToLink[cell] } }),
  },
  {
    route: 'POST /schools/:schoolId/groups/:groupId/lessons',
    allowed: ['assignedTeacher', 'deputy'],
    note: 'or a teacher on a substitution registered for that date (and slot); see docs/api-extensions.md',
    request: (w, _, cell) => ({ method: 'post', path: `${s(w)}/groups/${w.groupId}/lessons`, body: { date: `2026-09-${10 + cell}`, slot: 5, topic: `Урок ${cell}` } }),
  },
  {
    route: 'POST /schools/:schoolId/lessons/:lessonId/corrections',
    allowed: ['assignedTeacher', 'deputy', 'director'],
    note: 'the author while the period is open',
    request: (w, spares, cell) => ({ method: 'post', path: `${s(w)}/lessons/${spares.lesson}/corrections`, body: { field: 'topic', value: `Тема ${cell}`, reason: 'уточнение' } }),
  },
  {
    route: 'POST /schools/:schoolId/lessons/:lessonId/marks',
    allowed: ['assignedTeacher'],
    note: 'the teacher of the lesson',
    request: (w, spares, cell) => ({ method: 'post', path: `${s(w)}/lessons/${spares.lesson}/marks`, body: { studentId: spares.studentsToLink[cell], value: 4, workKind: 'oral' } }),
  },
  {
    route: 'POST /schools/:schoolId/marks/:markId/corrections',
    allowed: ['assignedTeacher', 'deputy', 'director'],
    note: 'the author while the period is open',
    request: (w, spares, cell) => ({ method: 'post', path: `${s(w)}/marks/${spares.mark}/corrections`, body: { value: (cell % 4) + 1, reason: 'пересмотр' } }),
  },
  {
    route: 'POST /schools/:schoolId/lessons/:lessonId/attendance',
    allowed: ['assignedTeacher'],
    note: 'the teacher of the lesson',
    request: (w, spares, cell) => ({ method: 'post', path: `${s(w)}/lessons/${spares.lesson}/attendance`, body: { studentId: spares.studentsToLink[cell], code: 'Н' } }),
  },
  {
    route: 'POST /schools/:schoolId/attendance/:attendanceId/corrections',
    allowed: ['assignedTeacher', 'classTeacher', 'deputy'],
    note: 'the author while the period is open',
    request: (w, spares, cell) => ({ method: 'post', path: `${s(w)}/attendance/${spares.attendance}/corrections`, body: { code: ['Н', 'Б', 'У'][cell % 3], reason: 'справка' } }),
  },
  {
    route: 'POST /schools/:schoolId/classes/:classId/daily-absences',
    allowed: ['classTeacher', 'deputy'],
    request: (w, spares, cell) => ({ method: 'post', path: `${s(w)}/classes/${w.classId}/daily-absences`, body: { date: '2026-09-15', studentId: spares.studentsToLink[cell], code: 'Б' } }),
  },
  {
    route: 'POST /schools/:schoolId/groups/:groupId/final-marks',
    allowed: ['assignedTeacher', 'deputy'],
    note: 'the assigned teacher while the period is open',
    request: (w, spares, cell) => ({ method: 'post', path: `${s(w)}/groups/${w.groupId}/final-marks`, body: { periodId: w.periodIds[0], studentId: spares.studentsToLink[cell], value: '4' } }),
  },
  {
    route: 'GET /schools/:schoolId/groups/:groupId/final-marks/suggestions',
    allowed: ['assignedTeacher', 'deputy'],
    request: (w) => ({ method: 'get', path: `${s(w)}/groups/${w.groupId}/final-marks/suggestions?periodId=${w.periodIds[0]}` }),
  },
  {
    route: 'POST /schools/:schoolId/groups/:groupId/periods/:periodId/lock',
    allowed: ['assignedTeacher', 'deputy'],
    request: (w, spares, cell) => ({ method: 'post', path: `${s(w)}/groups/${spares.lockGroup}/periods/${w.periodIds[cell % 2]}/lock`, body: {} }),
  },
  {
    route: 'POST /schools/:schoolId/groups/:groupId/periods/:periodId/unlock',
    allowed: ['director', 'deputy'],
    request: (w, spares, cell) => ({ method: 'post', path: `${s(w)}/groups/${spares.unlockGroup}/periods/${w.periodIds[cell % 2]}/unlock`, body: { reason: 'исправление' } }),
  },
  {
    route: 'GET /schools/:schoolId/groups/:groupId/journal',
    allowed: ['director', 'deputy', 'assignedTeacher', 'classTeacher', 'inspector'],
    request: (w) => ({ method: 'get', path: `${s(w)}/groups/${w.groupId}/journal?periodId=${w.periodIds[0]}` }),
  },
  {
    route: 'GET /schools/:schoolId/students/:studentId/diary',
    allowed: ['director', 'deputy', 'classTeacher', 'parent', 'student'],
    note: "the student, a linked parent with a granted consent (without one: 403 `consent not given`), the class teacher, the administration",
    request: (w) => ({ method: 'get', path: `${s(w)}/students/${w.studentId}/diary?weekOf=2026-09-07` }),
  },
  {
    route: 'POST /schools/:schoolId/settings',
    allowed: ['director', 'deputy'],
    note: 'extension of API.md (docs/api-extensions.md)',
    request: (w, _, cell) => ({ method: 'post', path: `${s(w)}/settings`, body: { minMarksForAttestation: 3 + (cell % 5) } }),
  },
  {
    route: 'POST /schools/:schoolId/consents',
    allowed: ['deputy', 'classTeacher', 'parent'],
    note: "on paper by the student's class teacher or a deputy; electronically by the linked parent, for themself only",
    request: (w, spares, cell) => ({
      method: 'post',
      path: `${s(w)}/consents`,
      body: { parentId: w.accounts.parent, studentId: spares.consentStudents[cell], granted: true, form: COLUMNS[cell].person === 'parent' ? 'electronic' : 'paper' },
    }),
  },
  {
    route: 'POST /schools/:schoolId/students/:studentId/diary/acknowledgements',
    allowed: ['parent', 'classTeacher'],
    note: 'a linked parent with consent (electronic); the class teacher registers a paper signature',
    request: (w, _, cell) => ({
      method: 'post',
      path: `${s(w)}/students/${w.studentId}/diary/acknowledgements`,
      body: COLUMNS[cell].person === 'classTeacher' ? { upTo: '2026-09-07', form: 'paper' } : { upTo: '2026-09-07' },
    }),
  },
  {
    route: 'GET /schools/:schoolId/classes/:classId/acknowledgements',
    allowed: ['deputy', 'classTeacher'],
    request: (w) => ({ method: 'get', path: `${s(w)}/classes/${w.classId}/acknowledgements?upTo=2026-09-07` }),
  },
  {
    route: 'GET /schools/:schoolId/classes/:classId/consents',
    allowed: ['director', 'deputy', 'classTeacher'],
    note: 'extension of API.md (docs/api-extensions.md): who needs a paper extract',
    request: (w) => ({ method: 'get', path: `${s(w)}/classes/${w.classId}/consents` }),
  },
  {
    route: 'GET /schools/:schoolId/students/:studentId/extract',
    allowed: ['director', 'deputy', 'classTeacher'],
    note: 'extension of API.md (docs/api-extensions.md): the paper extract, printed by the school',
    request: (w) => ({ method: 'get', path: `${s(w)}/students/${w.studentId}/extract?from=2026-09-01&to=2026-09-30` }),
  },
  {
    route: 'POST /schools/:schoolId/parents/:parentId/notification-settings',
    allowed: ['director', 'deputy', 'classTeacher', 'parent'],
    note: "extension of API.md (docs/api-extensions.md): the parent, their child's class teacher (seed 004: contacts), the administration",
    request: (w, _, cell) => ({ method: 'post', path: `${s(w)}/parents/${w.accounts.parent}/notification-settings`, body: { email: `parent-${cell}@example.ru` } }),
  },
  {
    route: 'GET /schools/:schoolId/parents/:parentId/notification-settings',
    allowed: ['director', 'deputy', 'classTeacher', 'parent'],
    note: 'extension of API.md (docs/api-extensions.md)',
    request: (w) => ({ method: 'get', path: `${s(w)}/parents/${w.accounts.parent}/notification-settings` }),
  },
  {
    route: 'GET /schools/:schoolId/notifications',
    allowed: ['director', 'deputy', 'securityOfficer'],
    note: 'extension of API.md (docs/api-extensions.md): the outbox, ids and outcomes only',
    request: (w) => ({ method: 'get', path: `${s(w)}/notifications` }),
  },
  {
    route: 'GET /schools/:schoolId/classes/:classId',
    allowed: ['director', 'deputy', 'inspector', 'classTeacher', 'assignedTeacher'],
    note: 'staff who teach the class (seed 003 §22), the administration, inspectors',
    request: (w) => ({ method: 'get', path: `${s(w)}/classes/${w.classId}` }),
  },
  {
    route: 'POST /schools/:schoolId/incidents',
    allowed: ['director', 'sysadmin', 'securityOfficer'],
    note: 'blocks the account at once',
    request: (w, spares, cell) => ({ method: 'post', path: `${s(w)}/incidents`, body: { accountId: spares.incidentTargets[cell] } }),
  },
  { route: 'GET /schools/:schoolId/incidents', allowed: ['director', 'securityOfficer'], request: (w) => ({ method: 'get', path: `${s(w)}/incidents` }) },
  {
    route: 'GET /schools/:schoolId/incidents/:incidentId',
    allowed: ['director', 'securityOfficer'],
    request: (w, spares) => ({ method: 'get', path: `${s(w)}/incidents/${spares.incident}` }),
  },
  {
    route: 'POST /schools/:schoolId/incidents/:incidentId/reinstatements',
    allowed: ['director', 'securityOfficer'],
    request: (w, spares, cell) => ({ method: 'post', path: `${s(w)}/incidents/${spares.incident}/reinstatements`, body: { eventId: spares.voidedEvents[cell], reason: 'проверено' } }),
  },
  {
    route: 'GET /schools/:schoolId/audit/corrections',
    allowed: ['director', 'deputy', 'securityOfficer', 'inspector'],
    request: (w) => ({ method: 'get', path: `${s(w)}/audit/corrections?classId=${w.classId}` }),
  },
  { route: 'GET /schools/:schoolId/audit/events', allowed: ['director', 'securityOfficer'], request: (w) => ({ method: 'get', path: `${s(w)}/audit/events?limit=5` }) },
  {
    route: 'GET /schools/:schoolId/marks/:markId/provenance',
    allowed: ['director', 'deputy', 'assignedTeacher', 'classTeacher', 'inspector', 'securityOfficer'],
    note: 'who may read that journal, and security officers',
    request: (w, spares) => ({ method: 'get', path: `${s(w)}/marks/${spares.mark}/provenance` }),
  },
  {
    route: 'POST /schools/:schoolId/substitutions',
    allowed: ['deputy', 'director'],
    note: 'extension of API.md (docs/api-extensions.md): seed 003, the deputy registers substitutions',
    request: (w, _, cell) => ({ method: 'post', path: `${s(w)}/substitutions`, body: { groupId: w.groupId, date: `2026-09-${10 + cell}`, teacherId: w.teacherOf5b, slot: 7, reason: 'болезнь учителя' } }),
  },
  {
    route: 'POST /schools/:schoolId/assignments/:assignmentId/end',
    allowed: ['deputy'],
    note: 'extension of API.md (docs/api-extensions.md)',
    request: (w, spares) => ({ method: 'post', path: `${s(w)}/assignments/${spares.assignmentToEnd}/end`, body: { reason: 'увольнение' } }),
  },
  {
    route: 'POST /schools/:schoolId/classes/:classId/class-teacher',
    allowed: ['deputy'],
    note: 'extension of API.md (docs/api-extensions.md)',
    request: (w, spares) => ({ method: 'post', path: `${s(w)}/classes/${spares.spareClass}/class-teacher`, body: { teacherId: spares.classTeacherCandidate, on: '2027-01-11' } }),
  },
  {
    route: 'POST /schools/:schoolId/parent-links/:linkId/end',
    allowed: ['deputy', 'classTeacher'],
    note: "extension of API.md (docs/api-extensions.md): the class teacher of the student's class today",
    request: (w, spares, cell) => ({ method: 'post', path: `${s(w)}/parent-links/${spares.linksToEnd[cell]}/end`, body: { reason: 'лишение прав' } }),
  },
  {
    route: 'POST /schools/:schoolId/inspector-grants/:grantId/end',
    allowed: ['admin'],
    note: 'extension of API.md (docs/api-extensions.md)',
    request: (w, spares) => ({ method: 'post', path: `${s(w)}/inspector-grants/${spares.grantToEnd}/end`, body: { reason: 'проверка окончена' } }),
  },
  {
    route: 'POST /schools/:schoolId/accounts/:accountId/roles',
    allowed: ['sysadmin'],
    note: 'extension of API.md (docs/api-extensions.md): not their own roles',
    request: (w, spares) => ({ method: 'post', path: `${s(w)}/accounts/${spares.rolesTarget}/roles`, body: { roles: ['teacher', 'deputy'], reason: 'назначение завучем' } }),
  },
  {
    route: 'POST /schools/:schoolId/students/:studentId/erasure',
    allowed: ['director'],
    note: "extension of API.md (docs/api-extensions.md): 152-ФЗ erasure; the director answers for the school's personal data",
    request: (w, spares) => ({ method: 'post', path: `${s(w)}/students/${spares.studentToErase}/erasure`, body: { basis: 'retention-expired' } }),
  },
  {
    route: 'POST /schools/:schoolId/accounts/:accountId/erasure',
    allowed: ['director'],
    note: 'extension of API.md (docs/api-extensions.md): a blocked account only',
    request: (w, spares) => ({ method: 'post', path: `${s(w)}/accounts/${spares.accountToErase}/erasure`, body: { basis: 'subject-request' } }),
  },
  {
    route: 'GET /schools/:schoolId/reports/classes/:classId/class-report',
    allowed: ['director', 'deputy', 'classTeacher', 'inspector'],
    note: 'extension of API.md (docs/api-extensions.md): SPEC §7, seed 004',
    request: (w) => ({ method: 'get', path: `${s(w)}/reports/classes/${w.classId}/class-report?periodId=${w.periodIds[0]}` }),
  },
  {
    route: 'GET /schools/:schoolId/reports/classes/:classId/statement',
    allowed: ['director', 'deputy', 'classTeacher', 'inspector'],
    note: 'extension of API.md (docs/api-extensions.md): SPEC §7, seed 004',
    request: (w) => ({ method: 'get', path: `${s(w)}/reports/classes/${w.classId}/statement` }),
  },
  {
    route: 'GET /schools/:schoolId/reports/classes/:classId/journal',
    allowed: ['director', 'deputy', 'classTeacher', 'inspector'],
    note: 'extension of API.md (docs/api-extensions.md): the annual printout, seed 003 §15',
    request: (w) => ({ method: 'get', path: `${s(w)}/reports/classes/${w.classId}/journal` }),
  },
  {
    route: 'GET /schools/:schoolId/reports/students/:studentId/extract',
    allowed: ['director', 'deputy', 'classTeacher'],
    note: 'extension of API.md (docs/api-extensions.md): the paper extract as CSV, XLSX or PDF',
    request: (w) => ({ method: 'get', path: `${s(w)}/reports/students/${w.studentId}/extract?from=2026-09-01&to=2026-09-30&format=pdf` }),
  },
  {
    route: 'GET /schools/:schoolId/reports/groups/:groupId/group-report',
    allowed: ['director', 'deputy', 'assignedTeacher', 'classTeacher', 'inspector'],
    note: "extension of API.md (docs/api-extensions.md): whoever reads the group's journal",
    request: (w) => ({ method: 'get', path: `${s(w)}/reports/groups/${w.groupId}/group-report?periodId=${w.periodIds[0]}` }),
  },
  {
    route: 'GET /schools/:schoolId/reports/journal',
    allowed: ['director', 'deputy', 'inspector'],
    note: "extension of API.md (docs/api-extensions.md): the school's year of journals as one CSV, streamed",
    request: (w) => ({ method: 'get', path: `${s(w)}/reports/journal` }),
  },
  {
    route: 'GET /schools/:schoolId/reports/success',
    allowed: ['director', 'deputy', 'inspector'],
    note: 'extension of API.md (docs/api-extensions.md): SPEC §7',
    request: (w) => ({ method: 'get', path: `${s(w)}/reports/success?periodId=${w.periodIds[0]}` }),
  },
  {
    route: 'GET /schools/:schoolId/reports/filling',
    allowed: ['director', 'deputy', 'assignedTeacher', 'otherTeacher', 'classTeacher', 'inspector'],
    note: 'extension of API.md (docs/api-extensions.md): a teacher reads their own rows only',
    request: (w) => ({ method: 'get', path: `${s(w)}/reports/filling?periodId=${w.periodIds[0]}` }),
  },
  {
    route: 'GET /schools/:schoolId/reports/classes/:classId/missed-lessons',
    allowed: ['director', 'deputy', 'classTeacher', 'inspector'],
    note: 'extension of API.md (docs/api-extensions.md): SPEC §7, seed 004',
    request: (w) => ({ method: 'get', path: `${s(w)}/reports/classes/${w.classId}/missed-lessons?periodId=${w.periodIds[0]}` }),
  },
  {
    route: 'GET /schools/:schoolId/reports/classes/:classId/unsatisfactory-marks',
    allowed: ['director', 'deputy', 'classTeacher', 'inspector'],
    note: 'extension of API.md (docs/api-extensions.md): SPEC §7, seed 004',
    request: (w) => ({ method: 'get', path: `${s(w)}/reports/classes/${w.classId}/unsatisfactory-marks?periodId=${w.periodIds[0]}` }),
  },
  {
    route: 'GET /schools/:schoolId/feed',
    allowed: ['director', 'deputy', 'assignedTeacher', 'otherTeacher', 'classTeacher', 'inspector', 'sysadmin', 'securityOfficer'],
    note: "extension of API.md (docs/api-extensions.md): the change feed (JSON lines or Server-Sent Events); a teacher's holds the journals of the groups they teach",
    request: (w) => ({ method: 'get', path: `${s(w)}/feed?limit=5` }),
  },
];

export const COLUMNS: readonly { person: Person; label: string }[] = [
  { person: 'admin', label: 'admin' },
  { person: 'director', label: 'director' },
  { person: 'deputy', label: 'deputy' },
  { person: 'assignedTeacher', label: 'assigned teacher' },
  { person: 'otherTeacher', label: 'other teacher' },
  { person: 'classTeacher', label: 'class teacher' },
  { person: 'parent', label: 'parent' },
  { person: 'otherParent', label: 'other parent' },
  { person: 'student', label: 'student' },
  { person: 'inspector', label: 'inspector' },
  { person: 'sysadmin', label: 'sysadmin' },
  { person: 'securityOfficer', label: 'security officer' },
  { person: 'noToken', label: 'no token' },
  { person: 'otherSchool', label: 'other school' },
];

/** Status a refused person gets on a route. */
export function refusalStatus(row: MatrixRow, person: Person): number {
  if (person === 'noToken') return 401;
  if (person === 'otherSchool' && row.route.includes(':schoolId')) return 404;
  return 403;
}

/** docs/roles.md, from the table above. */
export function renderRoleMatrix(): string {
  const header = `| route | ${COLUMNS.map((c) => c.label).join(' | ')} | note |`;
  const rule = `|---|${COLUMNS.map(() => ':-:').join('|')}|---|`;
  const rows = ROLE_MATRIX.map((row) => {
    const cells = COLUMNS.map(({ person }) => (row.allowed.includes(person) ? '✅' : String(refusalStatus(row, person))));
    return `| \`${row.route}\` | ${cells.join(' | ')} | ${row.note ?? ''} |`;
  });
  return [
    '# Who may use which route',
    '',
    'Generated from `test/e2e/role-matrix.ts` by `npm run docs:roles`; `test/e2e/role-matrix.e2e.test.ts` proves every cell over HTTP',
    `(${ROLE_MATRIX.length} routes × ${COLUMNS.length} people = ${ROLE_MATRIX.length * COLUMNS.length} requests). ✅ allowed; a number is the refusal.`,
    '"assigned teacher" teaches a group of the class; "class teacher" is the class\'s `classTeacherId`; "other school" is a director of another school.',
    '',
    header,
    rule,
    ...rows,
    '',
  ].join('\n');
}
