import { deciderSpec } from '../../common/testing/given-when-then';
import { DailyAbsenceEvent, dailyAbsencesDecider, decideDailyAbsence } from './daily-absences.decider';

const spec = deciderSpec({ ...dailyAbsencesDecider, decide: decideDailyAbsence });
const mark = (over: Partial<Parameters<typeof decideDailyAbsence>[0]> = {}) => ({ classId: '5a', date: '2026-09-08', studentId: 's1', code: 'Б' as const, roster: ['s1', 's2'], isStudent: true, ...over });
const marked: DailyAbsenceEvent = { type: 'DailyAbsenceRecorded', data: { classId: '5a', date: '2026-09-08', studentId: 's1', code: 'Б' } };

describe('daily absences decider', () => {
  it('given nothing, when the class teacher marks a student of the class, then DailyAbsenceRecorded; the same day again is refused', () => {
    spec.given([]).when(mark()).then([marked]);
    spec.given([marked]).when(mark({ code: 'У' })).thenRefuses('ALREADY_EXISTS');
  });
  it('refuses a student of another class (400), and an id that names no student (404)', () => {
    spec.given([]).when(mark({ studentId: 's3' })).thenRefuses('VALIDATION_FAILED', 'studentId');
    spec.given([]).when(mark({ studentId: 's9', isStudent: false })).thenRefuses('NOT_FOUND', 'studentId');
  });
});
