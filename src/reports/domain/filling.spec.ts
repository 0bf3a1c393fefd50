import { FillingEvent, fillingRows } from './filling';

const at = (type: string, actor: string, data: Record<string, unknown>, recordedAt = '2026-09-07T10:00:00.000Z'): FillingEvent => ({ type, recordedAt, actor: { accountId: actor }, data: { groupId: 'g1', ...data } });

describe('filling of the journal (seed 003 §2, §4, §9–§11)', () => {
  it('given a teacher’s entries, counts each kind and those entered late, by hand', () => {
    const rows = fillingRows([
      at('LessonRecorded', 't1', { lessonId: 'l1', homework: '§1', late: false, homeworkLate: false, homeworkDueAt: '2026-09-07T12:00:00.000Z' }),
      at('LessonRecorded', 't1', { lessonId: 'l2', homework: '§2', late: true, homeworkLate: true, homeworkDueAt: '2026-09-08T12:00:00.000Z' }),
      at('LessonRecorded', 't1', { lessonId: 'l3', homework: null, late: false, homeworkLate: false, homeworkDueAt: '2026-09-09T12:00:00.000Z' }),
      at('MarkRecorded', 't1', { late: false }),
      at('MarkRecorded', 't1', { late: true }),
      at('FinalMarkSet', 't1', { late: false, before: null }),
      at('FinalMarkSet', 't1', { late: true, before: { value: '4', deferred: false } }),
    ]);
    // Entries: 3 lessons × 2 + 2 marks + 1 final = 9; late: lesson l2, its homework, one mark = 3 → 6/9 = 66.7 %.
    expect(rows).toEqual([
      { teacherId: 't1', groupId: 'g1', lessons: 3, lessonsLate: 1, homeworkNotGiven: 1, homeworkLate: 1, marks: 2, marksLate: 1, finalMarks: 1, finalMarksLate: 0, entries: 9, onTime: 6, onTimeRate: 66.7 },
    ]);
  });

  it('given «Не задано» later corrected to homework after its due moment, the homework counts as late; before it, on time', () => {
    const lesson = (id: string) => at('LessonRecorded', 't1', { lessonId: id, homework: null, late: false, homeworkLate: false, homeworkDueAt: '2026-09-07T12:00:00.000Z' });
    const rows = fillingRows([
      lesson('l1'),
      lesson('l2'),
      at('LessonCorrected', 't1', { lessonId: 'l1', field: 'homework', before: null, after: '§5' }, '2026-09-07T13:00:00.000Z'),
      at('LessonCorrected', 't1', { lessonId: 'l2', field: 'homework', before: null, after: '§6' }, '2026-09-07T11:00:00.000Z'),
    ]);
    expect(rows[0]).toMatchObject({ lessons: 2, homeworkNotGiven: 0, homeworkLate: 1, entries: 4, onTime: 3, onTimeRate: 75 });
  });

  it('keeps teachers and groups apart, and a substitute’s lessons are the substitute’s', () => {
    const rows = fillingRows([at('MarkRecorded', 't1', { late: false }), at('MarkRecorded', 't2', { late: true }), at('MarkRecorded', 't1', { late: false, groupId: 'g2' })]);
    expect(rows.map((r) => [r.teacherId, r.groupId, r.marks, r.onTimeRate])).toEqual([
      ['t1', 'g1', 1, 100],
      ['t2', 'g1', 1, 0],
      ['t1', 'g2', 1, 100],
    ]);
    expect(fillingRows([])).toEqual([]);
  });
});
