import { conflict, DomainError, invalid, noSuch, notFound } from '../../common/domain-error';
import type { Role } from '../../accounts/domain/roles';

/**
 * The structure of one school — its years and periods, subjects, classes, students and their
 * moves, groups, teaching assignments, parent links and inspector grants — is one stream,
 * `school-<schoolId>`. Deputies change it rarely; everything that checks who may do what reads
 * it, and one stream gives them a consistent answer that includes every acknowledged change.
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
  | { type: 'InspectorGranted'; data: { schoolId: string; accountId: string } }
  | { type: 'SchoolSettingsChanged'; data: SchoolSettings }
  | { type: 'YearCreated'; data: { yearId: string; name: string; startsOn: string; endsOn: string; periods: PeriodDef[]; holidays: HolidayDef[] } }
  | { type: 'SubjectCreated'; data: { subjectId: string; name: string } }
  | { type: 'ClassCreated'; data: { classId: string; yearId: string; name: string; classTeacherId: string } }
  | { type: 'StudentAdmitted'; data: { studentId: string; fullName: string; classId: string; birthDate: string | null; accountId: string | null } }
  | { type: 'StudentTransferred'; data: { studentId: string; fromClassId: string; toClassId: string; on: string } }
  | { type: 'GroupCreated'; data: { groupId: string; classId: string; subjectId: string; name: string; studentIds: string[] | null } }
  | { type: 'TeacherAssigned'; data: { groupId: string; teacherId: string } }
  | { type: 'ParentLinked'; data: { studentId: string; parentId: string } };

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
  | { type: 'GrantInspector'; accountId: string; account: AccountFacts | null }
  | { type: 'ChangeSettings'; settings: Partial<SchoolSettings> }
  | { type: 'CreateYear'; yearId: string; name: string; startsOn: string; endsOn: string; periods: PeriodDef[]; holidays: HolidayDef[] }
  | { type: 'CreateSubject'; subjectId: string; name: string }
  | { type: 'CreateClass'; classId: string; yearId: string; name: string; classTeacherId: string; classTeacher: AccountFacts | null }
  | { type: 'AdmitStudent'; studentId: string; fullName: string; classId: string; birthDate: string | null; accountId: string | null; account: AccountFacts | null }
  | { type: 'TransferStudent'; studentId: string; toClassId: string; on: string }
  | { type: 'CreateGroup'; groupId: string; classId: string; subjectId: string; name: string | null; studentIds: string[] | null }
  | { type: 'AssignTeacher'; groupId: string; teacherId: string; teacher: AccountFacts | null }
  | { type: 'LinkParent'; studentId: string; parentId: string; parent: AccountFacts | null };

export interface Placement {
  classId: string;
  /** First day in that class; admission has no date, so it counts from the beginning. */
  from: string;
}

export interface SchoolState {
  exists: boolean;
  schoolId: string;
  name: string;
  timezone: string;
  settings: SchoolSettings;
  inspectors: string[];
  years: Record<string, { yearId: string; name: string; startsOn: string; endsOn: string; periods: PeriodDef[]; holidays: HolidayDef[] }>;
  periods: Record<string, PeriodDef & { yearId: string }>;
  subjects: Record<string, { subjectId: string; name: string }>;
  classes: Record<string, { classId: string; yearId: string; name: string; classTeacherId: string }>;
  students: Record<string, { studentId: string; fullName: string; birthDate: string | null; accountId: string | null; placements: Placement[] }>;
  groups: Record<string, { groupId: string; classId: string; subjectId: string; name: string; studentIds: string[] | null; teacherIds: string[] }>;
  parentLinks: Record<string, string[]>;
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
});

const EARLIEST = '0000-01-01';
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
      if (command.account.schoolId === state.schoolId || state.inspectors.includes(command.accountId)) {
        throw conflict('ALREADY_EXISTS', 'This inspector can read this school already.');
      }
      return [{ type: 'InspectorGranted', data: { schoolId: state.schoolId, accountId: command.accountId } }];
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
      if (command.on < year.startsOn || command.on > year.endsOn) throw invalid('on', "must lie inside the target class's school year");
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
      if (group.teacherIds.includes(command.teacherId)) throw conflict('ALREADY_EXISTS', 'This teacher teaches that group already.');
      return [{ type: 'TeacherAssigned', data: { groupId: command.groupId, teacherId: command.teacherId } }];
    }

    case 'LinkParent': {
      if (!state.students[command.studentId]) throw noSuch('studentId', 'student of this school');
      requireAccount(command.parent, 'parentId', state.schoolId, 'parent', 'a parent account');
      if ((state.parentLinks[command.studentId] ?? []).includes(command.parentId)) throw conflict('ALREADY_EXISTS', 'This parent is linked to that student already.');
      return [{ type: 'ParentLinked', data: { studentId: command.studentId, parentId: command.parentId } }];
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
    case 'InspectorGranted':
      return { ...state, inspectors: [...state.inspectors, event.data.accountId] };
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
      return { ...state, classes: { ...state.classes, [event.data.classId]: event.data } };
    case 'StudentAdmitted': {
      const { classId, ...student } = event.data;
      return { ...state, students: { ...state.students, [student.studentId]: { ...student, placements: [{ classId, from: EARLIEST }] } } };
    }
    case 'StudentTransferred': {
      const student = state.students[event.data.studentId];
      const placements = [...student.placements, { classId: event.data.toClassId, from: event.data.on }];
      return { ...state, students: { ...state.students, [student.studentId]: { ...student, placements } } };
    }
    case 'GroupCreated':
      return { ...state, groups: { ...state.groups, [event.data.groupId]: { ...event.data, teacherIds: [] } } };
    case 'TeacherAssigned': {
      const group = state.groups[event.data.groupId];
      return { ...state, groups: { ...state.groups, [group.groupId]: { ...group, teacherIds: [...group.teacherIds, event.data.teacherId] } } };
    }
    case 'ParentLinked':
      return { ...state, parentLinks: { ...state.parentLinks, [event.data.studentId]: [...(state.parentLinks[event.data.studentId] ?? []), event.data.parentId] } };
    default:
      return state;
  }
}

export const schoolDecider = { initialState: initialSchoolState, decide: decideSchool, evolve: evolveSchool };

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

export const isClassTeacher = (state: SchoolState, teacherId: string, classId: string): boolean => state.classes[classId]?.classTeacherId === teacherId;

export const classesTaughtAsClassTeacher = (state: SchoolState, teacherId: string): string[] =>
  Object.values(state.classes).filter((c) => c.classTeacherId === teacherId).map((c) => c.classId);

export const groupsOfTeacher = (state: SchoolState, teacherId: string): string[] =>
  Object.values(state.groups).filter((g) => g.teacherIds.includes(teacherId)).map((g) => g.groupId);

/** Every class the student has ever been placed in. */
export const classesOfStudent = (state: SchoolState, studentId: string): string[] => [...new Set((state.students[studentId]?.placements ?? []).map((p) => p.classId))];
