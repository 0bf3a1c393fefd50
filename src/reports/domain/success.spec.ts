import { successReport } from './success';

describe('success and quality of a school (SPEC §7)', () => {
  it('given two classes and three teachers, rates per class, subject, teacher and school match a hand count', () => {
    const report = successReport([
      // 5А maths (teacher t1): А 5, Б 3, В Н/А
      { groupId: 'g1', classId: '5a', subjectId: 'math', teacherIds: ['t1'], finals: { А: '5', Б: '3', В: 'Н/А' } },
      // 5А russian (t2): А 4, Б 4, В 4
      { groupId: 'g2', classId: '5a', subjectId: 'rus', teacherIds: ['t2'], finals: { А: '4', Б: '4', В: '4' } },
      // 5Б maths (t1): Г 2, Д deferred
      { groupId: 'g3', classId: '5b', subjectId: 'math', teacherIds: ['t1'], finals: { Г: '2', Д: 'deferred' } },
      // 5Б russian (t3): Г 5, Д 5
      { groupId: 'g4', classId: '5b', subjectId: 'rus', teacherIds: ['t3'], finals: { Г: '5', Д: '5' } },
    ]);
    // 5А: А good, Б one-three, В failing → 2/3 successful (66.7), 1/3 of quality (33.3).
    // 5Б: Г failing, Д deferred (left out) → 0/1.
    expect(report.classes).toEqual([
      { classId: '5a', students: 3, counted: 3, successful: 2, ofQuality: 1, successRate: 66.7, qualityRate: 33.3 },
      { classId: '5b', students: 2, counted: 1, successful: 0, ofQuality: 0, successRate: 0, qualityRate: 0 },
    ]);
    // Maths: 5, 3, Н/А, 2, deferred → counted 4, successful 2 (5, 3), quality 1 → 50 / 25; mean of 5, 3, 2 = 3.33.
    expect(report.subjects.find((s) => s.subjectId === 'math')).toEqual({ subjectId: 'math', marks: 5, counted: 4, successful: 2, ofQuality: 1, successRate: 50, qualityRate: 25, average: 3.33 });
    // t1 teaches both maths groups: the same figures; t3: 5, 5 → 100 / 100.
    expect(report.teachers.find((t) => t.teacherId === 't1')).toMatchObject({ counted: 4, successRate: 50, qualityRate: 25 });
    expect(report.teachers.find((t) => t.teacherId === 't3')).toMatchObject({ counted: 2, successRate: 100, qualityRate: 100, average: 5 });
    // School: А Б В Г counted (Д deferred) → 2/4 = 50 %, quality 1/4 = 25 %.
    expect(report.school).toEqual({ students: 5, counted: 4, successful: 2, ofQuality: 1, successRate: 50, qualityRate: 25 });
  });
});
