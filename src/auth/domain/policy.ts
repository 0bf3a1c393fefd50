import type { Role } from '../../accounts/domain/roles';
import { classesOfClassTeacherOn, classOfStudentOn, classTeacherOn, groupsOfTeacherOn, SchoolState, teachersOfGroupOn } from '../../school/domain/school.decider';

/**
 * Who may do what (SPEC §2, API.md): every route names one action, and this is the only place
 * that says who may take it. Pure: the caller brings the school's structure, the target, and the
 * school's today — rights follow the date: a class teacher, a teacher's assignment, a student's
 * class count as they are on that day (information about students is for the staff teaching them
 * *now*, seed 003 §22), so a former class teacher or a teacher whose assignment ended sees nothing.
 */
export type Action =
  | 'auth.me'
  | 'school.create'
  | 'account.create'
  | 'account.read'
  | 'account.reissue'
  | 'inspector.grant'
  | 'year.create'
  | 'subject.create'
  | 'class.create'
  | 'class.read'
  | 'student.admit'
  | 'student.transfer'
  | 'group.create'
  | 'assignment.create'
  | 'parent.link'
  | 'lesson.record'
  | 'journal.write'
  | 'final-mark.set'
  | 'final-mark.suggest'
  | 'period.lock'
  | 'period.unlock'
  | 'journal.read'
  | 'daily-absence.record'
  | 'diary.read'
  | 'settings.change'
  | 'consent.record'
  | 'consent.read'
  | 'diary.acknowledge'
  | 'acknowledgement.read'
  | 'extract.read'
  | 'incident.report'
  | 'incident.read'
  | 'incident.reinstate'
  | 'audit.corrections'
  | 'audit.events'
  | 'mark.provenance'
  | 'substitution.register'
  | 'assignment.end'
  | 'class-teacher.change'
  | 'parent-link.end'
  | 'ledger.entries'
  | 'inspector-grant.end'
  | 'account.roles'
  | 'personal-data.erase'
  | 'report.class'
  | 'report.filling'
  | 'report.school'
  | 'notification-settings.change'
  | 'notification-settings.read'
  | 'notifications.read'
  | 'feed.read';

export interface Subject {
  readonly accountId: string;
  readonly schoolId: string | null;
  readonly roles: readonly Role[];
}

/** What the request is about, as far as the rules care. */
export interface Target {
  readonly groupId?: string;
  readonly classId?: string;
  readonly studentId?: string;
  readonly accountId?: string;
  /** Roles an account being created would get. */
  readonly roles?: readonly string[];
  /** The parent a consent is about. */
  readonly parentId?: string;
  /** The teacher a report is about. */
  readonly teacherId?: string;
  /** A parent link named in the path. */
  readonly linkId?: string;
  /**
   * Whether the acting parent's consent for this student is granted (SPEC §5): read from the
   * consent stream by the caller for the actions `needsConsent` names, when the subject is a
   * linked parent.
   */
  readonly consentGiven?: boolean;
}

export type Decision = { allowed: true; actingAs: Role } | { allowed: false; status: 403 | 404; reason: string };

const allow = (role: Role): Decision => ({ allowed: true, actingAs: role });
const deny = (reason: string): Decision => ({ allowed: false, status: 403, reason });
const hidden: Decision = { allowed: false, status: 404, reason: 'There is no such school.' };
/** A student id in the path that is not a student of this school (API.md: 404, no leak). */
const noStudent: Decision = { allowed: false, status: 404, reason: 'There is no such student in this school.' };

/** Actions on a school's own data: the school must exist and be visible to the subject. */
const SCHOOL_ACTIONS: ReadonlySet<Action> = new Set<Action>([
  'account.create',
  'account.read',
  'account.reissue',
  'inspector.grant',
  'year.create',
  'subject.create',
  'class.create',
  'class.read',
  'student.admit',
  'student.transfer',
  'group.create',
  'assignment.create',
  'parent.link',
  'lesson.record',
  'journal.write',
  'final-mark.set',
  'final-mark.suggest',
  'period.lock',
  'period.unlock',
  'journal.read',
  'daily-absence.record',
  'diary.read',
  'settings.change',
  'consent.record',
  'consent.read',
  'diary.acknowledge',
  'acknowledgement.read',
  'extract.read',
  'incident.report',
  'incident.read',
  'incident.reinstate',
  'audit.corrections',
  'audit.events',
  'mark.provenance',
  'substitution.register',
  'assignment.end',
  'class-teacher.change',
  'parent-link.end',
  'inspector-grant.end',
  'account.roles',
  'personal-data.erase',
  'report.class',
  'report.filling',
  'report.school',
  'notification-settings.change',
  'notification-settings.read',
  'notifications.read',
  'feed.read',
]);

/** Diary routes a parent may use only once their consent is granted: the caller brings that fact. */
const CONSENT_GATED: ReadonlySet<Action> = new Set<Action>(['diary.read', 'diary.acknowledge']);
export const needsConsent = (action: Action): boolean => CONSENT_GATED.has(action);

/** The reason every diary route gives a linked parent without a granted consent (API.md). */
export const CONSENT_NOT_GIVEN = 'consent not given';

/** Nobody but the admin and a granted inspector sees another school; to others it does not exist. */
export function canSeeSchool(subject: Subject, school: SchoolState): boolean {
  return subject.roles.includes('admin') || subject.schoolId === school.schoolId || (subject.roles.includes('inspector') && school.inspectors.includes(subject.accountId));
}

/** `today`: the school's calendar date (YYYY-MM-DD, its time zone) the decision is made on. */
export function authorize(subject: Subject, action: Action, target: Target, school: SchoolState | null, today: string): Decision {
  const has = (role: Role) => subject.roles.includes(role);
  if (!SCHOOL_ACTIONS.has(action)) {
    if (action === 'auth.me') return allow(subject.roles[0]);
    if (action === 'school.create') return has('admin') ? allow('admin') : deny('Only the regional administrator creates schools.');
    // The ledger's entries are the events of every school: names, marks, absences.
    if (action === 'ledger.entries') return has('admin') ? allow('admin') : deny("Only the regional administrator reads the ledger's entries: they hold the events of every school.");
  }
  if (!school || !school.exists || !canSeeSchool(subject, school)) return hidden;
  const own = subject.schoolId === school.schoolId;
  const staff = (role: Role) => own && has(role);
  const classTeacherOf = (classId: string | undefined) => staff('teacher') && !!classId && classTeacherOn(school, classId, today) === subject.accountId;
  // The class teacher of the class the student is in today: a transferred student leaves their former one.
  const classTeacherOfStudent = (studentId: string) => classTeacherOf(classOfStudentOn(school, studentId, today));
  const linkedParent = (studentId: string) => staff('parent') && (school.parentLinks[studentId] ?? []).includes(subject.accountId);
  const isClassTeacherNow = () => staff('teacher') && classesOfClassTeacherOn(school, subject.accountId, today).length > 0;
  const assignedTo = (groupId: string | undefined) => staff('teacher') && !!groupId && teachersOfGroupOn(school, groupId, today).includes(subject.accountId);

  switch (action) {
    case 'account.create': {
      if (has('admin')) return allow('admin');
      if (staff('sysadmin')) return allow('sysadmin');
      if (staff('teacher') && classesOfClassTeacherOn(school, subject.accountId, today).length > 0) {
        const onlyParents = !!target.roles && target.roles.length > 0 && target.roles.every((role) => role === 'parent');
        return onlyParents ? allow('teacher') : deny('A class teacher may create parent accounts only.');
      }
      return deny('Only the administrator, a system administrator, or a class teacher (for parents) creates accounts.');
    }
    case 'account.read':
      if (target.accountId === subject.accountId) return allow(subject.roles[0]);
      for (const role of ['sysadmin', 'director', 'security_officer'] as const) if (staff(role)) return allow(role);
      return deny("Only a system administrator, the director or a security officer may read another person's account.");
    case 'account.reissue':
      return staff('sysadmin') ? allow('sysadmin') : deny('Only a system administrator of this school reissues credentials.');
    case 'inspector.grant':
      return has('admin') ? allow('admin') : deny('Only the regional administrator grants inspectors access to a school.');
    case 'year.create':
      if (staff('deputy')) return allow('deputy');
      return staff('director') ? allow('director') : deny('Only a deputy director or the director sets up the school year.');
    case 'subject.create':
    case 'class.create':
    case 'student.transfer':
    case 'group.create':
    case 'assignment.create':
      return staff('deputy') ? allow('deputy') : deny('Only a deputy director sets up the school structure.');
    case 'student.admit':
      if (staff('deputy')) return allow('deputy');
      // An id that names no class is the command's to refuse (404 classId), for whoever might admit.
      if (staff('teacher') && target.classId && !school.classes[target.classId] && isClassTeacherNow()) return allow('teacher');
      return classTeacherOf(target.classId) ? allow('teacher') : deny('Only a deputy director or the class teacher of that class adds students to it.');
    case 'parent.link':
      if (staff('deputy')) return allow('deputy');
      // An id that names no student is the command's to refuse (404 studentId), for whoever might link.
      if (staff('teacher') && target.studentId && !school.students[target.studentId] && isClassTeacherNow()) return allow('teacher');
      return target.studentId && classTeacherOfStudent(target.studentId) ? allow('teacher') : deny("Only a deputy director or the student's class teacher links parents.");
    case 'parent-link.end': {
      const link = target.linkId ? school.parentLinksById[target.linkId] : undefined;
      if (!link) return { allowed: false, status: 404, reason: 'There is no such parent link in this school.' };
      if (staff('deputy')) return allow('deputy');
      return classTeacherOfStudent(link.studentId) ? allow('teacher') : deny("Only a deputy director or the student's class teacher ends a parent link.");
    }
    case 'substitution.register':
      // Seed 003, the deputy's duties, item 4: «Отмечает факты замены уроков».
      if (staff('deputy')) return allow('deputy');
      return staff('director') ? allow('director') : deny('Only a deputy director or the director registers substitutions.');
    case 'assignment.end':
    case 'class-teacher.change':
      return staff('deputy') ? allow('deputy') : deny('Only a deputy director sets up the school structure.');
    case 'inspector-grant.end':
      return has('admin') ? allow('admin') : deny("Only the regional administrator ends an inspector's access to a school.");
    case 'report.class':
      // SPEC §7 and seed 004: the class teacher prints them for the deputy; the administration and inspectors read them.
      if (staff('director')) return allow('director');
      if (staff('deputy')) return allow('deputy');
      if (has('inspector')) return allow('inspector');
      return classTeacherOf(target.classId) ? allow('teacher') : deny("Only the class's class teacher, the administration and inspectors read a class's reports.");
    case 'report.school':
      if (staff('director')) return allow('director');
      if (staff('deputy')) return allow('deputy');
      return has('inspector') ? allow('inspector') : deny("Only the administration and inspectors read the school's success and quality.");
    case 'report.filling':
      if (staff('director')) return allow('director');
      if (staff('deputy')) return allow('deputy');
      if (has('inspector')) return allow('inspector');
      // A teacher sees how they fill their own journals, nobody else's.
      if (staff('teacher') && (!target.teacherId || target.teacherId === subject.accountId)) return allow('teacher');
      return deny("Only the administration and inspectors read how others fill the journal; a teacher reads their own.");
    case 'personal-data.erase':
      return staff('director') ? allow('director') : deny("Only the director, who answers for the school's personal data, erases a person's data.");
    case 'account.roles':
      if (!staff('sysadmin')) return deny("Only a system administrator of this school changes a person's roles.");
      // Nobody raises their own rights: another system administrator changes a system administrator's roles.
      return target.accountId === subject.accountId ? deny('A system administrator does not change their own roles.') : allow('sysadmin');
    case 'class.read': {
      if (staff('director')) return allow('director');
      if (staff('deputy')) return allow('deputy');
      if (has('inspector')) return allow('inspector');
      if (classTeacherOf(target.classId)) return allow('teacher');
      const teachesThere = staff('teacher') && groupsOfTeacherOn(school, subject.accountId, today).some((groupId) => school.groups[groupId].classId === target.classId);
      // Information about students is for the staff who teach them (seed 003 §22).
      return teachesThere ? allow('teacher') : deny('Only staff who teach this class, the administration and inspectors see it.');
    }
    case 'lesson.record':
      // Whether a teacher teaches the group, or substitutes there that day, the journal decides.
      if (staff('deputy')) return allow('deputy');
      return staff('teacher') ? allow('teacher') : deny('Only teachers record lessons.');
    case 'journal.write':
      // Which entries a teacher may touch (own groups, own lessons, open periods) the journal decides.
      if (staff('deputy')) return allow('deputy');
      if (staff('director')) return allow('director');
      return staff('teacher') ? allow('teacher') : deny('Only teachers and the administration write in the journal.');
    case 'final-mark.set':
    case 'final-mark.suggest':
    case 'period.lock':
      if (staff('deputy')) return allow('deputy');
      return assignedTo(target.groupId) ? allow('teacher') : deny('Only the teacher of this group or a deputy director does this.');
    case 'settings.change':
      if (staff('director')) return allow('director');
      return staff('deputy') ? allow('deputy') : deny('Only the director or a deputy director changes school settings.');
    case 'period.unlock':
      if (staff('deputy')) return allow('deputy');
      return staff('director') ? allow('director') : deny('Only a deputy director or the director reopens a period.');
    case 'journal.read': {
      for (const role of ['director', 'deputy'] as const) if (staff(role)) return allow(role);
      if (has('inspector')) return allow('inspector');
      if (assignedTo(target.groupId)) return allow('teacher');
      const group = target.groupId ? school.groups[target.groupId] : undefined;
      return group && classTeacherOf(group.classId) ? allow('teacher') : deny('Only the teachers of this group, its class teacher, the administration and inspectors read this journal.');
    }
    case 'daily-absence.record':
      if (staff('deputy')) return allow('deputy');
      return classTeacherOf(target.classId) ? allow('teacher') : deny('Only the class teacher or a deputy director marks daily absences.');
    case 'diary.read': {
      const student = target.studentId ? school.students[target.studentId] : undefined;
      if (!student) return noStudent;
      if (staff('director')) return allow('director');
      if (staff('deputy')) return allow('deputy');
      if (staff('student') && student.accountId === subject.accountId) return allow('student');
      if (classTeacherOfStudent(student.studentId)) return allow('teacher');
      if (linkedParent(student.studentId)) return target.consentGiven ? allow('parent') : deny(CONSENT_NOT_GIVEN);
      return deny("Only the student, the student's parents, the class teacher and the administration read this diary.");
    }
    case 'extract.read': {
      const student = target.studentId ? school.students[target.studentId] : undefined;
      if (!student) return noStudent;
      if (staff('director')) return allow('director');
      if (staff('deputy')) return allow('deputy');
      // The paper extract is printed by the school for parents without electronic access (seed 000).
      return classTeacherOfStudent(student.studentId) ? allow('teacher') : deny("Only the student's class teacher and the administration print the paper extract.");
    }
    case 'diary.acknowledge': {
      const student = target.studentId ? school.students[target.studentId] : undefined;
      if (!student) return noStudent;
      if (linkedParent(student.studentId)) return target.consentGiven ? allow('parent') : deny(CONSENT_NOT_GIVEN);
      // A paper signature of a parent is registered by the class teacher (seed 000, 003 §20).
      return classTeacherOfStudent(student.studentId) ? allow('teacher') : deny("Only the student's parents, or the class teacher for a paper signature, acknowledge this diary.");
    }
    case 'consent.record': {
      if (staff('deputy')) return allow('deputy');
      const student = target.studentId ? school.students[target.studentId] : undefined;
      // An unknown student is the command's to refuse (400 studentId), for whoever might register consents.
      if (!student) return staff('teacher') ? allow('teacher') : staff('parent') ? allow('parent') : deny('Only the class teacher, a deputy director, or the parent registers a consent.');
      if (classTeacherOfStudent(student.studentId)) return allow('teacher');
      if (staff('parent')) {
        if (!linkedParent(student.studentId)) return deny("A parent registers consent only for their own children.");
        return target.parentId === undefined || target.parentId === subject.accountId ? allow('parent') : deny('A parent registers only their own consent.');
      }
      return deny("Only the student's class teacher, a deputy director, or the parent registers a consent.");
    }
    case 'consent.read':
      if (staff('director')) return allow('director');
      if (staff('deputy')) return allow('deputy');
      return classTeacherOf(target.classId) ? allow('teacher') : deny("Only the class teacher and the administration see the class's consents.");
    case 'acknowledgement.read':
      if (staff('deputy')) return allow('deputy');
      return classTeacherOf(target.classId) ? allow('teacher') : deny("Only the class teacher and a deputy director see the class's acknowledgements.");
    case 'incident.report':
      for (const role of ['security_officer', 'director', 'sysadmin'] as const) if (staff(role)) return allow(role);
      return deny('Only a security officer, the director or a system administrator reports a credential compromise.');
    case 'incident.read':
    case 'incident.reinstate':
      for (const role of ['security_officer', 'director'] as const) if (staff(role)) return allow(role);
      return deny('Only a security officer or the director reviews incidents and reinstates voided operations.');
    case 'audit.corrections':
      for (const role of ['director', 'deputy', 'security_officer'] as const) if (staff(role)) return allow(role);
      return has('inspector') ? allow('inspector') : deny('Only the administration, security officers and inspectors audit corrections.');
    case 'audit.events':
      for (const role of ['security_officer', 'director'] as const) if (staff(role)) return allow(role);
      return deny('Only a security officer or the director reads the raw event log.');
    case 'mark.provenance':
      // Who reads that journal (journal.read, checked once the mark's group is known), and security staff.
      if (staff('security_officer')) return allow('security_officer');
      // The mark's group is known only once the mark is found: a teacher is let through, and asked again with it.
      if (!target.groupId && staff('teacher')) return allow('teacher');
      return authorize(subject, 'journal.read', target, school, today);
    case 'notification-settings.change':
    case 'notification-settings.read': {
      const parentId = target.parentId;
      if (staff('parent') && parentId === subject.accountId) return allow('parent');
      if (staff('director')) return allow('director');
      if (staff('deputy')) return allow('deputy');
      // Seed 004 §4: the class teacher enters the parents' e-mail and phone at the start of the year.
      const children = Object.keys(school.parentLinks).filter((studentId) => parentId !== undefined && school.parentLinks[studentId].includes(parentId));
      if (children.some((studentId) => classTeacherOfStudent(studentId))) return allow('teacher');
      return deny("Only the parent, their child's class teacher or the administration set a parent's notifications.");
    }
    case 'notifications.read':
      for (const role of ['director', 'deputy', 'security_officer'] as const) if (staff(role)) return allow(role);
      return deny('Only the administration and security officers see the notification outbox.');
    case 'feed.read':
      // The change feed (src/feed) is the school's log for other systems: a teacher's is narrowed by feedScope.
      for (const role of ['director', 'deputy', 'sysadmin', 'security_officer'] as const) if (staff(role)) return allow(role);
      if (has('inspector')) return allow('inspector');
      if (staff('teacher')) return allow('teacher');
      return deny("Only the administration, system administrators, security officers, inspectors and teachers (their own groups' journals) read the school's change feed.");
    default:
      return deny('This action is not allowed.');
  }
}

/**
 * What of the school's log a `feed.read` shows, by the role it was allowed in: the whole log, or
 * for a teacher the journals of the groups they teach today (information about students is for
 * the staff teaching them, seed 003 §22).
 */
export function feedScope(actingAs: Role, subject: Subject, school: SchoolState, today: string): { readonly groups: readonly string[] } | 'school' {
  return actingAs === 'teacher' ? { groups: groupsOfTeacherOn(school, subject.accountId, today) } : 'school';
}
