import { averageOf, ratesOf, standingOf } from './attestation';
import { classReport, missedLessons, statement, SubjectSheet, unsatisfactoryMarks } from './class-report';

/**
 * A class of six, computed by hand from seed 003 §5, §12 and seed 004 (not from the code):
 * А 5/5 отличник; Б 4/5 хорошист; В 3/ОСВ с одной «3»; Г 2/4 неуспевающий; Д отсрочка/5 (left out
 * until attested); Е no final marks. Counted: А Б В Г → success 3/4 = 75 %, quality 2/4 = 50 %.
 */
const period = { id: 'p1', name: 'I четверть', startsOn: '2026-09-01', endsOn: '2026-10-25' };
const students = ['А', 'Б', 'В', 'Г', 'Д', 'Е'].map((name) => ({ id: name, fullName: `Ученик ${name}` }));
const final = (value: string | null, deferred = false) => (value === null && !deferred ? null : { value, deferred });
const maths: SubjectSheet = {
  groupId: 'g-math',
  subjectId: 'math',
  subjectName: 'Математика',
  lessons: [
    { id: 'm1', date: '2026-09-02', topic: 'Натуральные числа' },
    { id: 'm2', date: '2026-09-09', topic: 'Дроби' },
    { id: 'm3', date: '2026-10-27', topic: 'После четверти' },
  ],
  students: [
    { id: 'А', marks: [{ lessonId: 'm1', value: 5, workKind: 'oral' }], attendance: [{ lessonId: 'm1', code: 'Н' }], finalMark: final('5') },
    { id: 'Б', marks: [], attendance: [], finalMark: final('4') },
    { id: 'В', marks: [], attendance: [{ lessonId: 'm2', code: 'У' }], finalMark: final('3') },
    { id: 'Г', marks: [{ lessonId: 'm1', value: 2, workKind: 'test' }, { lessonId: 'm2', value: 1, workKind: 'oral' }, { lessonId: 'm3', value: 2, workKind: 'oral' }], attendance: [], finalMark: final('2') },
    { id: 'Д', marks: [], attendance: [], finalMark: final(null, true) },
    { id: 'Е', marks: [], attendance: [], finalMark: null },
  ],
};
const russian: SubjectSheet = {
  groupId: 'g-rus',
  subjectId: 'rus',
  subjectName: 'Русский язык',
  lessons: [{ id: 'r1', date: '2026-09-03', topic: 'Орфограммы' }],
  students: [
    { id: 'А', marks: [], attendance: [{ lessonId: 'r1', code: 'Б' }], finalMark: final('5') },
    { id: 'Б', marks: [], attendance: [], finalMark: final('5') },
    { id: 'В', marks: [], attendance: [], finalMark: final('ОСВ') },
    { id: 'Г', marks: [], attendance: [], finalMark: final('4') },
    { id: 'Д', marks: [], attendance: [], finalMark: final('5') },
    { id: 'Е', marks: [], attendance: [], finalMark: null },
  ],
};

describe('attestation', () => {
  it('given final marks, the standing follows seed 003: Н/А fails, a deferral waits, ОСВ is neutral', () => {
    expect(standingOf(['5', '5'])).toBe('excellent');
    expect(standingOf(['5', '4', 'ОСВ'])).toBe('good');
    expect(standingOf(['3', '5'])).toBe('one-three');
    expect(standingOf(['3', '3', '4'])).toBe('satisfactory');
    expect(standingOf(['5', 'Н/А'])).toBe('failing');
    expect(standingOf(['2', 'deferred'])).toBe('failing');
    expect(standingOf(['5', 'deferred'])).toBe('deferred');
    expect(standingOf(['ОСВ'])).toBe('good');
    expect(standingOf([null, null])).toBe('none');
  });

  it('rates leave out the students not yet attested, and are null when nobody counts', () => {
    expect(ratesOf(['excellent', 'good', 'one-three', 'failing', 'deferred', 'none'])).toEqual({ counted: 4, successful: 3, ofQuality: 2, successRate: 75, qualityRate: 50 });
    expect(ratesOf(['good', 'good', 'failing'])).toMatchObject({ successRate: 66.7, qualityRate: 66.7 });
    expect(ratesOf(['none', 'deferred'])).toMatchObject({ counted: 0, successRate: null, qualityRate: null });
    expect(averageOf(['5', '4', 'ОСВ', 'Н/А', 'deferred', null])).toBe(4.5);
    expect(averageOf(['ОСВ'])).toBeNull();
  });
});

describe('class report («Отчёт по классу»)', () => {
  const report = classReport({ classId: 'c1', className: '5А', period, students, sheets: [maths, russian] });

  it('counts each standing and the class rates by hand', () => {
    expect(report.totals).toMatchObject({ students: 6, excellent: 1, good: 1, oneThree: 1, satisfactory: 0, failing: 1, deferred: 1, none: 1, counted: 4, successRate: 75, qualityRate: 50 });
    expect(report.students.map((s) => s.standing)).toEqual(['excellent', 'good', 'one-three', 'failing', 'deferred', 'none']);
    expect(report.students[4].finals).toEqual({ math: 'deferred', rus: '5' });
  });

  it('gives each subject its rates and mean final mark', () => {
    expect(report.subjects).toEqual([
      { subjectId: 'math', name: 'Математика', groupId: 'g-math', counted: 4, successful: 3, ofQuality: 2, successRate: 75, qualityRate: 50, average: 3.5 },
      { subjectId: 'rus', name: 'Русский язык', groupId: 'g-rus', counted: 5, successful: 5, ofQuality: 5, successRate: 100, qualityRate: 100, average: 4.75 },
    ]);
  });

  it('counts missed lessons by code and unsatisfactory marks', () => {
    expect(report.students[0].missed).toEqual({ Н: 1, Б: 1, У: 0, total: 2 });
    expect(report.students[3].unsatisfactory).toBe(3);
    expect(report.totals.missed).toEqual({ Н: 1, Б: 1, У: 1, total: 3 });
    expect(report.totals.unsatisfactoryMarks).toBe(3);
  });
});

describe('missed lessons and unsatisfactory marks with their topics', () => {
  it('lists what each student missed in the dates asked, with the topic, in date order', () => {
    const missed = missedLessons(students, [maths, russian], period.startsOn, period.endsOn);
    expect(missed[0]).toEqual({
      studentId: 'А',
      fullName: 'Ученик А',
      counts: { Н: 1, Б: 1, У: 0, total: 2 },
      items: [
        { date: '2026-09-02', subject: 'Математика', lessonId: 'm1', topic: 'Натуральные числа', code: 'Н' },
        { date: '2026-09-03', subject: 'Русский язык', lessonId: 'r1', topic: 'Орфограммы', code: 'Б' },
      ],
    });
    expect(missedLessons(students, [maths, russian], '2026-09-03', '2026-09-03')[0].items).toHaveLength(1);
  });

  it('lists marks of 1 and 2 with the topic, only inside the dates', () => {
    const bad = unsatisfactoryMarks(students, [maths, russian], period.startsOn, period.endsOn);
    expect(bad[3]).toEqual({
      studentId: 'Г',
      fullName: 'Ученик Г',
      count: 2,
      items: [
        { date: '2026-09-02', subject: 'Математика', lessonId: 'm1', topic: 'Натуральные числа', value: 2, workKind: 'test' },
        { date: '2026-09-09', subject: 'Математика', lessonId: 'm2', topic: 'Дроби', value: 1, workKind: 'oral' },
      ],
    });
    expect(bad[0].count).toBe(0);
  });
});

describe('statement («Ведомость»)', () => {
  it('puts each final mark under its subject and period, with the period rates', () => {
    const p2 = { id: 'p2', name: 'II четверть', startsOn: '2026-11-05', endsOn: '2026-12-28' };
    const second: SubjectSheet = { ...maths, lessons: [], students: maths.students.map((s) => ({ ...s, marks: [], attendance: [], finalMark: final('4') })) };
    const sheet = statement({ classId: 'c1', className: '5А', year: { id: 'y', name: '2026/27' }, periods: [period, p2], students, sheets: { p1: [maths, russian], p2: [second] } });
    expect(sheet.subjects).toEqual([
      { id: 'math', name: 'Математика' },
      { id: 'rus', name: 'Русский язык' },
    ]);
    expect(sheet.students[3].marks).toEqual({ math: { p1: '2', p2: '4' }, rus: { p1: '4' } });
    expect(sheet.students[3].standings).toEqual({ p1: 'failing', p2: 'good' });
    expect(sheet.periods.map((p) => [p.id, p.successRate, p.qualityRate])).toEqual([
      ['p1', 75, 50],
      ['p2', 100, 100],
    ]);
  });
});
