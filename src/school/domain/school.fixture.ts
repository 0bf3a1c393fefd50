import type { AccountFacts, SchoolEvent } from './school.decider';

/** A small school's history for the school-structure specs: one year of two quarters, 5А and 5Б, a maths group of 5А. */
export const S = 'school-1';
export const teacher: AccountFacts = { schoolId: S, roles: ['teacher'] };
export const created: SchoolEvent = { type: 'SchoolCreated', data: { schoolId: S, name: 'Школа №1', timezone: 'Europe/Moscow' } };
export const year: SchoolEvent = {
  type: 'YearCreated',
  data: {
    yearId: 'y1',
    name: '2026/27',
    startsOn: '2026-09-01',
    endsOn: '2027-05-31',
    periods: [
      { periodId: 'q1', name: 'I четверть', startsOn: '2026-09-01', endsOn: '2026-10-25' },
      { periodId: 'q2', name: 'II четверть', startsOn: '2026-11-05', endsOn: '2026-12-28' },
    ],
    holidays: [],
  },
};
export const subject: SchoolEvent = { type: 'SubjectCreated', data: { subjectId: 'math', name: 'Математика' } };
export const class5a: SchoolEvent = { type: 'ClassCreated', data: { classId: '5a', yearId: 'y1', name: '5А', classTeacherId: 't1' } };
export const class5b: SchoolEvent = { type: 'ClassCreated', data: { classId: '5b', yearId: 'y1', name: '5Б', classTeacherId: 't2' } };
export const ivanov: SchoolEvent = { type: 'StudentAdmitted', data: { studentId: 's1', fullName: 'Иванов Иван', classId: '5a', birthDate: null, accountId: null } };
export const group: SchoolEvent = { type: 'GroupCreated', data: { groupId: 'g1', classId: '5a', subjectId: 'math', name: '5А Математика', studentIds: null } };
