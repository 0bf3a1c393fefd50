import { conflict, invalid, noSuch } from '../../common/domain-error';
import type { AttendanceCode } from './journal.types';

/** The class teacher's day marks (Б/У/Н, seed 001): stream `daily-absences-<classId>`. */
export const dailyAbsencesStream = (classId: string) => `daily-absences-${classId}`;

export type DailyAbsenceEvent = { type: 'DailyAbsenceRecorded'; data: { classId: string; date: string; studentId: string; code: AttendanceCode } };
export interface DailyAbsencesState {
  marked: Record<string, AttendanceCode>;
}

export const dailyAbsencesDecider = {
  initialState: (): DailyAbsencesState => ({ marked: {} }),
  evolve: (state: DailyAbsencesState, event: DailyAbsenceEvent): DailyAbsencesState =>
    event.type === 'DailyAbsenceRecorded' ? { marked: { ...state.marked, [`${event.data.date}:${event.data.studentId}`]: event.data.code } } : state,
  voidable: true,
};

export function decideDailyAbsence(
  /** roster: the class on that date; isStudent: whether the id names a student of the school at all. */
  command: { classId: string; date: string; studentId: string; code: AttendanceCode; roster: string[]; isStudent: boolean },
  state: DailyAbsencesState,
): DailyAbsenceEvent[] {
  if (!command.roster.includes(command.studentId)) {
    throw command.isStudent ? invalid('studentId', `is not in this class on ${command.date}`) : noSuch('studentId', 'student of this school');
  }
  if (state.marked[`${command.date}:${command.studentId}`]) throw conflict('ALREADY_EXISTS', 'This student is marked for that day already.');
  return [{ type: 'DailyAbsenceRecorded', data: { classId: command.classId, date: command.date, studentId: command.studentId, code: command.code } }];
}
