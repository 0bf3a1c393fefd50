import { v5 as uuidv5 } from 'uuid';
import { conflict, DomainError, invalid, noSuch, notFound } from '../../common/domain-error';
import type { Role } from '../../accounts/domain/roles';
import { ERASED_TEXT, ErasureBasis } from '../../privacy/domain/personal-fields';

/**
 * The structure of one school — its years and periods, subjects, classes, students and their
 * moves, groups, teaching assignments, parent links and inspector grants — is one stream,
 * `school-<schoolId>`. Deputies change it rarely; everything that checks who may do what reads
 * it, and one stream gives them a consistent answer that includes every acknowledged change.
 *
 * Access facts live here too (issue 12): what grants access (an assignment, a substitution, a
 * class teacher from a date, a parent link, an inspector grant) and what withdraws it (an ended
 * assignment, link or grant, the next class teacher). Each is a plain event of this stream, so
 * whatever voids a compromised account's events voids its grants with them; and `evolveSchool`
 * ignores an event naming what the state does not have (the event that made it may be void).
 */
export interface PeriodDef {
  periodId: string;
  name: string;
  startsOn: string;
  endsOn: string;
}
export interface HolidayDef {
  startsOn: string;
  endsOn: string;
}

export type SchoolEvent =
  | { type: 'SchoolCreated'; data: { schoolId: string; name: string; timezone: string } }
  /** `grantId` since issue 12; older grants get a derived one (legacyGrantId). */
  | { type: 'InspectorGranted'; data: { schoolId: string; accountId: string; grantId?: string } }
  | { type: 'SchoolSettingsChanged'; data: SchoolSettings }
  | { type: 'YearCreated'; data: { yearId: string; name: string; startsOn: string; endsOn: string; periods: PeriodDef[]; holidays: HolidayDef[] } }
  | { type: 'SubjectCreated'; data: { subjectId: string; name: string } }
  | { type: 'ClassCreated'; data: { classId: string; yearId: string; name: string; classTeacherId: string } }
  | { type: 'StudentAdmitted'; data: { studentId: string; fullName: string; classId: string; birthDate: string | null; accountId: string | null } }
  | { type: 'StudentTransferred'; data: { studentId: string; fromClassId: string; toClassId: string; on: string } }
  | { type: 'GroupCreated'; data: { groupId: string; classId: string; subjectId: string; name: string; studentIds: string[] | null } }
  /** `assignmentId` since issue 12; older assignments get a derived one (legacyAssignmentId). */
  | { type: 'TeacherAssigned'; data: { groupId: string; teacherId: string; assignmentId?: string } }
  /** `linkId` since issue 12; older links get a derived one (legacyLinkId). */
  | { type: 'ParentLinked'; data: { studentId: string; parentId: string; linkId?: string } }
  /** Grants: the teacher may record that group's lesson on that date (and slot) as a substitute (seed 003, deputy's item 4). */
  | { type: 'SubstitutionRegistered'; data: Substitution }
  /** Withdraws: from `on` the assignment gives no access (the first day without it). */
  | { type: 'AssignmentEnded'; data: { assignmentId: string; groupId: string; teacherId: string; on: string; reason: string } }
  /** Grants the new class teacher, withdraws the former one, from `on`. */
  | { type: 'ClassTeacherChanged'; data: { classId: string; teacherId: string; on: string; previousTeacherId: string } }
  /** Withdraws at once: the parent no longer reads the student's diary. */
  | { type: 'ParentLinkEnded'; data: { linkId: string; studentId: string; parentId: string; reason: string } }
  /** Withdraws at once: the inspector no longer sees the school. */
  | { type: 'InspectorGrantEnded'; data: { grantId: string; accountId: string; reason: string } }
  /** The student's data key is destroyed (src/privacy): their sealed fields read as erased from now on, everywhere. */
  | { type: 'PersonalDataErased'; data: { person: 'student'; studentId: string; basis: ErasureBasis } };

/** A school's own rules. Fewer marks than `minMarksForAttestation` in a period suggest Н/А. */
export interface SchoolSettings {
  minMarksForAttestation: number;
}
export const DEFAULT_SETTINGS: SchoolSettings = { minMarksForAttestation: 3 };

/** What the deciding side knows about the accounts a command names (read from their streams). */
export interface AccountFacts {
  schoolId: string | null;
  roles: Role[];
}

export type SchoolCommand =
  | { type: 'CreateSchool'; schoolId: string; name: string; timezone: string }
  | { type: 'GrantInspector'; grantId: string; accountId: string; account: AccountFacts | null }
  | { type: 'ChangeSettings'; settings: Partial<SchoolSettings> }
  | { type: 'CreateYear'; yearId: string; name: string; startsOn: string; endsOn: string; periods: PeriodDef[]; holidays: HolidayDef[] }
  | { type: 'CreateSubject'; subjectId: string; name: string }
  | { type: 'CreateClass'; classId: string; yearId: string; name: string; classTeacherId: string; classTeacher: AccountFacts | null }
  | { type: 'AdmitStudent'; studentId: string; fullName: string; classId: string; birthDate: string | null; accountId: string | null; account: AccountFacts | null }
  | { type: 'TransferStudent'; studentId: string; toClassId: string; on: string }
  | { type: 'CreateGroup'; groupId: string; classId: string; subjectId: string; name: string | null; studentIds: string[] | null }
  | { type: 'AssignTeacher'; assignmentId: string; groupId: string; teacherId: string; teacher: AccountFacts | null }
  | { type: 'LinkParent'; linkId: string; studentId: string; parentId: string; parent: AccountFacts | null }
  | { type: 'RegisterSubstitution'; substitutionId: string; groupId: string; date: string; teacherId: string; slot: number | null; reason: string | null; teacher: AccountFacts | null }
  | { type: 'EndAssignment'; assignmentId: string; on: string; reason: string }
  | { type: 'ChangeClassTeacher'; classId: string; teacherId: string; on: string; teacher: AccountFacts | null }
  | { type: 'EndParentLink'; linkId: string; reason: string }
  | { type: 'EndInspectorGrant'; grantId: string; reason: string }
  | { type: 'EraseStudentData'; studentId: string; basis: ErasureBasis };

export interface Placement {
  classId: string;
  /** First day in that class; admission has no date, so it counts from the beginning. */
  from: string;
}

/** A teacher teaching a group its subject; `endsOn`: the first day it gives no access (null: not ended). */
export interface Assignment {
  assignmentId: string;
  groupId: string;
  teacherId: string;
  endsOn: string | null;
}
export interface Substitution {
  substitutionId: string;
  groupId: string;
  date: string;
  teacherId: string;
  /** null: every lesson of the group that day. */
  slot: number | null;
  reason: string | null;
}
export interface ParentLink {
  linkId: string;
  studentId: string;
  parentId: string;
  ended: boolean;
}
export interface InspectorGrant {
  grantId: string;
  accountId: string;
  ended: boolean;
}
/** Class teacher of a class from a date on (the first term counts from the beginning). */
export interface ClassTeacherTerm {
  teacherId: string;
  from: string;
}

export interface SchoolState {
  exists: boolean;
  schoolId: string;
  name: string;
  timezone: string;
  settings: SchoolSettings;
  /** Inspectors of other schools whose grant has not ended. */
  inspectors: string[];
  years: Record<string, { yearId: string; name: string; startsOn: string; endsOn: string; periods: PeriodDef[]; holidays: HolidayDef[] }>;
  periods: Record<string, PeriodDef & { yearId: string }>;
  subjects: Record<string, { subjectId: string; name: string }>;
  /** `classTeacherId` is the one named at creation; who it is on a date: classTeacherOn. */
  classes: Record<string, { classId: string; yearId: string; name: string; classTeacherId: string; classTeachers: ClassTeacherTerm[] }>;
  students: Record<string, { studentId: string; fullName: string; birthDate: string | null; accountId: string | null; placements: Placement[]; erased?: true }>;
  /** `teacherIds`: everyone ever assigned (history); who teaches it on a date: teachersOfGroupOn. */
  groups: Record<string, { groupId: string; classId: string; subjectId: string; name: string; studentIds: string[] | null; teacherIds: string[] }>;
  /** The parents linked to each student now (links not ended). */
  parentLinks: Record<string, string[]>;
  assignments: Record<string, Assignment>;
  substitutions: Record<string, Substitution>;
  parentLinksById: Record<string, ParentLink>;
  inspectorGrants: Record<string, InspectorGrant>;
}

export const schoolStream = (schoolId: string) => `school-${schoolId}`;

export const initialSchoolState = (): SchoolState => ({
  exists: false,
  schoolId: '',
  name: '',
  timezone: 'Europe/Moscow',
  settings: DEFAULT_SETTINGS,
  inspectors: [],
  years: {},
  periods: {},
  subjects: {},
  classes: {},
  students: {},
  groups: {},
  parentLinks: {},
  assignments: {},
  substitutions: {},
  parentLinksById: {},
  inspectorGrants: {},
});

/**
 * Ids for assignments, links and grants recorded before they had one: derived from what made them
 * unique then (the decider refused a second one of the same pair), so they are stable on every read.
 */
const LEGACY_NAMESPACE = '2f7c4d0e-8b1a-4e6f-9c3d-5a7b9e1f0c24';
export const legacyAssignmentId = (groupId: string, teacherId: string) => uuidv5(`assignment:${groupId}:${teacherId}`, LEGACY_NAMESPACE);
export const legacyLinkId = (studentId: string, parentId: string) => uuidv5(`parent-link:${studentId}:${parentId}`, LEGACY_NAMESPACE);
export const legacyGrantId = (schoolId: string, accountId: string) => uuidv5(`inspector-grant:${schoolId}:${accountId}`, LEGACY_NAMESPACE);

const EARLIEST = '0000-01-01';
/** 409 for withdrawing what was withdrawn already (docs/api-extensions.md). */
const alreadyEnded = (message: string) => conflict('ALREADY_ENDED', message);
const sameName = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

function requireAccount(facts: AccountFacts | null, field: string, schoolId: string, role: Role, what: string): void {
  if (!facts) throw noSuch(field, 'account');
  if (facts.schoolId !== schoolId) throw invalid(field, `must be an account of this school`);
  if (!facts.roles.includes(role)) throw invalid(field, `must be ${what}`);
}

export function decideSchool(command: SchoolCommand, state: SchoolState): SchoolEvent[] {
  if (command.type !== 'CreateSchool' && !state.exists) throw notFound('school');
  switch (command.type) {
    case 'CreateSchool':
      if (state.exists) throw conflict('ALREADY_EXISTS', 'This school exists already.');
      return [{ type: 'SchoolCreated', data: { schoolId: command.schoolId, name: command.name, timezone: command.timezone } }];

    case 'GrantInspector': {
      if (!command.account) throw noSuch('accountId', 'account');
      if (!command.account.roles.includes('inspector')) throw invalid('accountId', 'must be an inspector account');
      if (state.inspectorGrants[command.grantId]) throw conflict('ALREADY_EXISTS', 'A grant with this id exists already.');
      if (command.account.schoolId === state.schoolId || state.inspectors.includes(command.accountId)) {
        throw conflict('ALREADY_EXISTS', 'This inspector can read this school already.');
      }
      return [{ type: 'InspectorGranted', data: { schoolId: state.schoolId, accountId: command.accountId, grantId: command.grantId } }];
    }

    case 'ChangeSettings': {
      const settings = { ...state.settings, ...command.settings };
      if (JSON.stringify(settings) === JSON.stringify(state.settings)) throw invalid('settings', 'change nothing: these are the settings already');
      return [{ type: 'SchoolSettingsChanged', data: settings }];
    }

    case 'CreateYear': {
      if (command.startsOn > command.endsOn) throw invalid('endsOn', 'must not be before startsOn');
      if (command.periods.length === 0) throw invalid('periods', 'must list at least one period');
      command.periods.forEach((period, index) => {
        if (period.startsOn > period.endsOn) throw invalid(`periods.${index}.endsOn`, 'must not be before its startsOn');
        if (period.startsOn < command.startsOn || period.endsOn > command.endsOn) {
          throw invalid(`periods.${index}`, 'must lie inside the school year');
        }
      });
      const sorted = command.periods.map((p, index) => ({ ...p, index })).sort((a, b) => a.startsOn.localeCompare(b.startsOn));
      for (let i = 1; i < sorted.length; i++) {
        if (sorted[i].startsOn <= sorted[i - 1].endsOn) throw invalid(`periods.${sorted[i].index}`, `overlaps period "${sorted[i - 1].name}"`);
      }
      command.holidays.forEach((holiday, index) => {
        if (holiday.startsOn > holiday.endsOn) throw invalid(`holidays.${index}.endsOn`, 'must not be before its startsOn');
        if (holiday.startsOn < command.startsOn || holiday.endsOn > command.endsOn) throw invalid(`holidays.${index}`, 'must lie inside the school year');
      });
      const overlapping = Object.values(state.years).find((y) => command.startsOn <= y.endsOn && y.startsOn <= command.endsOn);
      if (overlapping) throw conflict('ALREADY_EXISTS', `The school year "${overlapping.name}" already covers some of these dates.`);
      const { type: _type, ...data } = command;
      return [{ type: 'YearCreated', data }];
    }

    case 'CreateSubject':
      if (Object.values(state.subjects).some((s) => sameName(s.name, command.name))) throw conflict('ALREADY_EXISTS', `The subject "${command.name}" exists already.`);
      return [{ type: 'SubjectCreated', data: { subjectId: command.subjectId, name: command.name } }];

    case 'CreateClass': {
      if (!state.years[command.yearId]) throw noSuch('yearId', 'school year of this school');
      requireAccount(command.classTeacher, 'classTeacherId', state.schoolId, 'teacher', 'a teacher');
      if (Object.values(state.classes).some((c) => c.yearId === command.yearId && sameName(c.name, command.name))) {
        throw conflict('ALREADY_EXISTS', `The class "${command.name}" exists already in that year.`);
      }
      return [{ type: 'ClassCreated', data: { classId: command.classId, yearId: command.yearId, name: command.name, classTeacherId: command.classTeacherId } }];
    }

    case 'AdmitStudent': {
      if (!state.classes[command.classId]) throw noSuch('classId', 'class of this school');
      if (command.accountId) {
        requireAccount(command.account, 'accountId', state.schoolId, 'student', 'a student account');
        if (Object.values(state.students).some((s) => s.accountId === command.accountId)) throw conflict('ALREADY_EXISTS', 'That account belongs to another student already.');
      }
      return [
        {
          type: 'StudentAdmitted',
          data: { studentId: command.studentId, fullName: command.fullName, classId: command.classId, birthDate: command.birthDate, accountId: command.accountId },
        },
      ];
    }

    case 'TransferStudent': {
      const student = state.students[command.studentId];
      if (!student) throw notFound('student');
      const target = state.classes[command.toClassId];
      if (!target) throw noSuch('toClassId', 'class of this school');
      const year = state.years[target.yearId];
      if (!year || command.on < year.startsOn || command.on > year.endsOn) throw invalid('on', "must lie inside the target class's school year");
      const last = student.placements[student.placements.length - 1];
      if (command.on <= last.from) throw invalid('on', 'must be after the last move of this student (history is never rewritten)');
      if (classOn(student.placements, command.on) === command.toClassId) throw conflict('ALREADY_EXISTS', 'The student is in that class on that date already.');
      return [{ type: 'StudentTransferred', data: { studentId: command.studentId, fromClassId: last.classId, toClassId: command.toClassId, on: command.on } }];
    }

    case 'CreateGroup': {
      const klass = state.classes[command.classId];
      if (!klass) throw noSuch('classId', 'class of this school');
      const subject = state.subjects[command.subjectId];
      if (!subject) throw noSuch('subjectId', 'subject of this school');
      if (command.studentIds) {
        if (command.studentIds.length === 0) throw invalid('studentIds', 'must list at least one student, or be left out to follow the class');
        command.studentIds.forEach((id, index) => {
          const student = state.students[id];
          if (!student) throw noSuch(`studentIds.${index}`, 'student of this school');
          if (!student.placements.some((p) => p.classId === command.classId)) throw invalid(`studentIds.${index}`, 'must be a student of that class');
        });
      }
      const name = command.name ?? `${klass.name} ${subject.name}`;
      return [
        {
          type: 'GroupCreated',
          data: { groupId: command.groupId, classId: command.classId, subjectId: command.subjectId, name, studentIds: command.studentIds ? [...new Set(command.studentIds)] : null },
        },
      ];
    }

    case 'AssignTeacher': {
      const group = state.groups[command.groupId];
      if (!group) throw noSuch('groupId', 'group of this school');
      requireAccount(command.teacher, 'teacherId', state.schoolId, 'teacher', 'a teacher');
      if (state.assignments[command.assignmentId]) throw conflict('ALREADY_EXISTS', 'An assignment with this id exists already.');
      if (assignmentsOfGroup(state, command.groupId).some((a) => a.teacherId === command.teacherId && a.endsOn === null)) {
        throw conflict('ALREADY_EXISTS', 'This teacher teaches that group already.');
      }
      return [{ type: 'TeacherAssigned', data: { groupId: command.groupId, teacherId: command.teacherId, assignmentId: command.assignmentId } }];
    }

    case 'LinkParent': {
      if (!state.students[command.studentId]) throw noSuch('studentId', 'student of this school');
      requireAccount(command.parent, 'parentId', state.schoolId, 'parent', 'a parent account');
      if ((state.parentLinks[command.studentId] ?? []).includes(command.parentId)) throw conflict('ALREADY_EXISTS', 'This parent is linked to that student already.');
      if (state.parentLinksById[command.linkId]) throw conflict('ALREADY_EXISTS', 'A link with this id exists already.');
      return [{ type: 'ParentLinked', data: { studentId: command.studentId, parentId: command.parentId, linkId: command.linkId } }];
    }

    case 'RegisterSubstitution': {
      const group = state.groups[command.groupId];
      if (!group) throw notFound('group');
      requireAccount(command.teacher, 'teacherId', state.schoolId, 'teacher', 'a teacher');
      const year = state.years[state.classes[group.classId]?.yearId];
      if (!year?.periods.some((p) => p.startsOn <= command.date && command.date <= p.endsOn)) throw invalid('date', "must lie inside a period of the group's school year");
      if (year.holidays.some((h) => h.startsOn <= command.date && command.date <= h.endsOn)) throw invalid('date', 'falls in the holidays');
      const covered = Object.values(state.substitutions).some(
        (s) => s.groupId === command.groupId && s.teacherId === command.teacherId && s.date === command.date && (s.slot === null || s.slot === command.slot),
      );
      if (covered || state.substitutions[command.substitutionId]) throw conflict('ALREADY_EXISTS', 'This substitution is registered already.');
      const { substitutionId, groupId, date, teacherId, slot, reason } = command;
      return [{ type: 'SubstitutionRegistered', data: { substitutionId, groupId, date, teacherId, slot, reason } }];
    }

    case 'EndAssignment': {
      const assignment = state.assignments[command.assignmentId];
      if (!assignment) throw notFound('teaching assignment');
      if (assignment.endsOn !== null) throw alreadyEnded(`This teaching assignment ended already (from ${assignment.endsOn}).`);
      const { assignmentId, groupId, teacherId } = assignment;
      return [{ type: 'AssignmentEnded', data: { assignmentId, groupId, teacherId, on: command.on, reason: command.reason } }];
    }

    case 'ChangeClassTeacher': {
      const klass = state.classes[command.classId];
      if (!klass) throw notFound('class');
      requireAccount(command.teacher, 'teacherId', state.schoolId, 'teacher', 'a teacher');
      const year = state.years[klass.yearId];
      if (year && (command.on < year.startsOn || command.on > year.endsOn)) throw invalid('on', "must lie inside the class's school year");
      const last = klass.classTeachers[klass.classTeachers.length - 1];
      if (command.on <= last.from) throw invalid('on', 'must be after the last change of class teacher (history is never rewritten)');
      const previousTeacherId = classTeacherOn(state, command.classId, command.on)!;
      if (previousTeacherId === command.teacherId) throw conflict('ALREADY_EXISTS', 'This teacher is the class teacher on that date already.');
      return [{ type: 'ClassTeacherChanged', data: { classId: command.classId, teacherId: command.teacherId, on: command.on, previousTeacherId } }];
    }

    case 'EndParentLink': {
      const link = state.parentLinksById[command.linkId];
      if (!link) throw notFound('parent link');
      if (link.ended) throw alreadyEnded('This parent link ended already.');
      return [{ type: 'ParentLinkEnded', data: { linkId: link.linkId, studentId: link.studentId, parentId: link.parentId, reason: command.reason } }];
    }

    case 'EndInspectorGrant': {
      const grant = state.inspectorGrants[command.grantId];
      if (!grant) throw notFound('inspector grant');
      if (grant.ended) throw alreadyEnded('This inspector grant ended already.');
      return [{ type: 'InspectorGrantEnded', data: { grantId: grant.grantId, accountId: grant.accountId, reason: command.reason } }];
    }

    case 'EraseStudentData': {
      const student = state.students[command.studentId];
      if (!student) throw notFound('student');
      if (student.erased) throw conflict('ALREADY_ERASED', "This student's personal data has been erased already.");
      return [{ type: 'PersonalDataErased', data: { person: 'student', studentId: command.studentId, basis: command.basis } }];
    }

    default: {
      const never: never = command;
      throw new DomainError(400, 'VALIDATION_FAILED', `unknown command ${(never as { type: string }).type}`);
    }
  }
}

export function evolveSchool(state: SchoolState, event: SchoolEvent): SchoolState {
  switch (event.type) {
    case 'SchoolCreated':
      return { ...state, exists: true, ...event.data };
    case 'InspectorGranted': {
      const grantId = event.data.grantId ?? legacyGrantId(event.data.schoolId, event.data.accountId);
      if (state.inspectorGrants[grantId]) return state;
      return withGrants(state, { ...state.inspectorGrants, [grantId]: { grantId, accountId: event.data.accountId, ended: false } });
    }
    case 'InspectorGrantEnded': {
      const grant = state.inspectorGrants[event.data.grantId];
      if (!grant || grant.ended) return state;
      return withGrants(state, { ...state.inspectorGrants, [grant.grantId]: { ...grant, ended: true } });
    }
    case 'SchoolSettingsChanged':
      return { ...state, settings: event.data };
    case 'YearCreated': {
      const periods = { ...state.periods };
      for (const period of event.data.periods) periods[period.periodId] = { ...period, yearId: event.data.yearId };
      return { ...state, years: { ...state.years, [event.data.yearId]: event.data }, periods };
    }
    case 'SubjectCreated':
      return { ...state, subjects: { ...state.subjects, [event.data.subjectId]: event.data } };
    case 'ClassCreated':
      return { ...state, classes: { ...state.classes, [event.data.classId]: { ...event.data, classTeachers: [{ teacherId: event.data.classTeacherId, from: EARLIEST }] } } };
    case 'ClassTeacherChanged': {
      const klass = state.classes[event.data.classId];
      if (!klass) return state;
      const classTeachers = [...klass.classTeachers, { teacherId: event.data.teacherId, from: event.data.on }];
      return { ...state, classes: { ...state.classes, [klass.classId]: { ...klass, classTeachers } } };
    }
    case 'StudentAdmitted': {
      const { classId, ...student } = event.data;
      return { ...state, students: { ...state.students, [student.studentId]: { ...student, placements: [{ classId, from: EARLIEST }] } } };
    }
    case 'StudentTransferred': {
      const student = state.students[event.data.studentId];
      if (!student) return state;
      const placements = [...student.placements, { classId: event.data.toClassId, from: event.data.on }];
      return { ...state, students: { ...state.students, [student.studentId]: { ...student, placements } } };
    }
    case 'GroupCreated':
      return { ...state, groups: { ...state.groups, [event.data.groupId]: { ...event.data, teacherIds: [] } } };
    case 'TeacherAssigned': {
      const group = state.groups[event.data.groupId];
      if (!group) return state;
      const { groupId, teacherId } = event.data;
      const assignmentId = event.data.assignmentId ?? legacyAssignmentId(groupId, teacherId);
      if (state.assignments[assignmentId]) return state;
      const teacherIds = group.teacherIds.includes(teacherId) ? group.teacherIds : [...group.teacherIds, teacherId];
      return {
        ...state,
        groups: { ...state.groups, [groupId]: { ...group, teacherIds } },
        assignments: { ...state.assignments, [assignmentId]: { assignmentId, groupId, teacherId, endsOn: null } },
      };
    }
    case 'AssignmentEnded': {
      const assignment = state.assignments[event.data.assignmentId];
      if (!assignment || assignment.endsOn !== null) return state;
      return { ...state, assignments: { ...state.assignments, [assignment.assignmentId]: { ...assignment, endsOn: event.data.on } } };
    }
    case 'SubstitutionRegistered':
      if (!state.groups[event.data.groupId] || state.substitutions[event.data.substitutionId]) return state;
      return { ...state, substitutions: { ...state.substitutions, [event.data.substitutionId]: event.data } };
    case 'ParentLinked': {
      const { studentId, parentId } = event.data;
      const linkId = event.data.linkId ?? legacyLinkId(studentId, parentId);
      if (state.parentLinksById[linkId]) return state;
      const parents = state.parentLinks[studentId] ?? [];
      return {
        ...state,
        parentLinksById: { ...state.parentLinksById, [linkId]: { linkId, studentId, parentId, ended: false } },
        parentLinks: { ...state.parentLinks, [studentId]: parents.includes(parentId) ? parents : [...parents, parentId] },
      };
    }
    case 'ParentLinkEnded': {
      const link = state.parentLinksById[event.data.linkId];
      if (!link || link.ended) return state;
      const parentLinksById = { ...state.parentLinksById, [link.linkId]: { ...link, ended: true } };
      // Still linked by another link of the pair (possible once an end between them is void)?
      const stillLinked = Object.values(parentLinksById).some((l) => l.studentId === link.studentId && l.parentId === link.parentId && !l.ended);
      const parents = (state.parentLinks[link.studentId] ?? []).filter((p) => stillLinked || p !== link.parentId);
      return { ...state, parentLinksById, parentLinks: { ...state.parentLinks, [link.studentId]: parents } };
    }
    case 'PersonalDataErased': {
      const student = state.students[event.data.studentId];
      if (!student) return state;
      // What a fold from the log gives once the key is gone (the fields' erased values, personal-fields.ts).
      return { ...state, students: { ...state.students, [student.studentId]: { ...student, fullName: ERASED_TEXT, birthDate: null, erased: true } } };
    }
    default:
      return state;
  }
}

/** The grants, and the inspectors they let see the school now. */
function withGrants(state: SchoolState, inspectorGrants: SchoolState['inspectorGrants']): SchoolState {
  const inspectors = [...new Set(Object.values(inspectorGrants).filter((g) => !g.ended).map((g) => g.accountId))];
  return { ...state, inspectorGrants, inspectors };
}


/**
 * The school's structure — years, subjects, classes, students, groups, transfers — stays even when
 * it was set up through a compromised account (SPEC §4, issue 12): undoing a class would orphan its
 * journals, so the incident's review lists it for a person to check. Everything else in the stream
 * grants or changes someone's rights (an assignment, a parent link, an inspector grant, a setting…),
 * and made through a compromised account it counts for nothing.
 */
export const STRUCTURE_EVENT_TYPES: readonly string[] = ['SchoolCreated', 'YearCreated', 'SubjectCreated', 'ClassCreated', 'StudentAdmitted', 'StudentTransferred', 'GroupCreated', 'PersonalDataErased'];

export const evolveVoidSchool = (state: SchoolState, event: SchoolEvent): SchoolState => (STRUCTURE_EVENT_TYPES.includes(event.type) ? evolveSchool(state, event) : state);

/** Voidable: decisions, access checks and the views' names see only the grants that count. */
export const schoolDecider = { initialState: initialSchoolState, decide: decideSchool, evolve: evolveSchool, evolveVoid: evolveVoidSchool, voidable: true };

// Questions the rest of the service asks of a school's structure. Dates are YYYY-MM-DD.

/** The class a student is in on a date (placements are in date order). */
export function classOn(placements: readonly Placement[], date: string): string | undefined {
  let current: string | undefined;
  for (const placement of placements) if (placement.from <= date) current = placement.classId;
  return current;
}

/** Students of a class on a date, transfers included. */
export function classRoster(state: SchoolState, classId: string, date: string): string[] {
  return Object.values(state.students)
    .filter((student) => classOn(student.placements, date) === classId)
    .map((student) => student.studentId);
}

/** Students of a group on a date: its fixed list, or its class's roster that day. */
export function groupRoster(state: SchoolState, groupId: string, date: string): string[] {
  const group = state.groups[groupId];
  if (!group) return [];
  return group.studentIds ?? classRoster(state, group.classId, date);
}

// Rights follow the date (SPEC §2: students are visible to the staff teaching them *now*): the
// questions below take the day they are asked for, the school's today for every access decision.

/** The class teacher of a class on a date: the last term begun by then. */
export function classTeacherOn(state: SchoolState, classId: string, date: string): string | undefined {
  let current: string | undefined;
  for (const term of state.classes[classId]?.classTeachers ?? []) if (term.from <= date) current = term.teacherId;
  return current;
}

export const classesOfClassTeacherOn = (state: SchoolState, teacherId: string, date: string): string[] =>
  Object.keys(state.classes).filter((classId) => classTeacherOn(state, classId, date) === teacherId);

/** The class a student is in on a date. */
export const classOfStudentOn = (state: SchoolState, studentId: string, date: string): string | undefined => classOn(state.students[studentId]?.placements ?? [], date);

/** An ended assignment gives no access from its end date on. */
export const isAssignmentActive = (assignment: Assignment, date: string): boolean => assignment.endsOn === null || date < assignment.endsOn;

/** Every assignment of a group, ended ones included (history). */
export const assignmentsOfGroup = (state: SchoolState, groupId: string): Assignment[] => Object.values(state.assignments).filter((a) => a.groupId === groupId);

/** The teachers who teach a group on a date. */
export const teachersOfGroupOn = (state: SchoolState, groupId: string, date: string): string[] => [
  ...new Set(assignmentsOfGroup(state, groupId).filter((a) => isAssignmentActive(a, date)).map((a) => a.teacherId)),
];

/** The groups a teacher teaches on a date. */
export const groupsOfTeacherOn = (state: SchoolState, teacherId: string, date: string): string[] => [
  ...new Set(Object.values(state.assignments).filter((a) => a.teacherId === teacherId && isAssignmentActive(a, date) && state.groups[a.groupId]).map((a) => a.groupId)),
];

export const substitutionsInGroup = (state: SchoolState, groupId: string): Substitution[] => Object.values(state.substitutions).filter((s) => s.groupId === groupId);

/** Every class the student has ever been placed in (what their diary draws on; not who may read it). */
export const classesOfStudent = (state: SchoolState, studentId: string): string[] => [...new Set((state.students[studentId]?.placements ?? []).map((p) => p.classId))];
