import type { FinalValue } from '../../journal/domain/journal.types';
import { averageOf, ratesOf, standingOf } from './attestation';

/** One group's final marks for a period: whose, of which subject and class, taught by whom. */
export interface GroupFinals {
  groupId: string;
  classId: string;
  subjectId: string;
  teacherIds: readonly string[];
  /** By student id: the final mark, `deferred`, or null while none is set. */
  finals: Readonly<Record<string, FinalValue | null>>;
}

/**
 * Success rate and knowledge quality (SPEC §7) of a school for one period: per class (a student's
 * standing over all their subjects), per subject and per teacher (each final mark on its own: a
 * student successful in that subject), and for the school (standings over all subjects). The
 * rules are attestation.ts's: «Н/А» fails, a deferral waits, «ОСВ» is neutral.
 */
export function successReport(groups: readonly GroupFinals[]) {
  const byStudent = new Map<string, { classId: string; finals: (FinalValue | null)[] }>();
  for (const group of groups) {
    for (const [studentId, value] of Object.entries(group.finals)) {
      const entry = byStudent.get(studentId) ?? { classId: group.classId, finals: [] };
      entry.finals.push(value);
      byStudent.set(studentId, entry);
    }
  }
  const classIds = [...new Set(groups.map((g) => g.classId))];
  const classes = classIds.map((classId) => {
    const standings = [...byStudent.values()].filter((s) => s.classId === classId).map((s) => standingOf(s.finals));
    return { classId, students: standings.length, ...ratesOf(standings) };
  });
  const finalsBy = (key: (group: GroupFinals) => readonly string[]) => {
    const map = new Map<string, (FinalValue | null)[]>();
    for (const group of groups) for (const k of key(group)) map.set(k, [...(map.get(k) ?? []), ...Object.values(group.finals)]);
    return [...map].map(([id, finals]) => ({ id, marks: finals.filter((v) => v !== null).length, ...ratesOf(finals.map((v) => standingOf([v]))), average: averageOf(finals) }));
  };
  const school = [...byStudent.values()].map((s) => standingOf(s.finals));
  return {
    classes,
    subjects: finalsBy((g) => [g.subjectId]).map(({ id, ...rest }) => ({ subjectId: id, ...rest })),
    teachers: finalsBy((g) => g.teacherIds).map(({ id, ...rest }) => ({ teacherId: id, ...rest })),
    school: { students: school.length, ...ratesOf(school) },
  };
}
