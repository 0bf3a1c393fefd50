import { Injectable } from '@nestjs/common';
import { invalid, noSuch, notFound } from '../common/domain-error';
import { JournalViews } from '../journal/journal-views';
import { classRoster, SchoolState } from '../school/domain/school.decider';
import { classReport, missedLessons, ReportPeriod, ReportStudent, statement, SubjectSheet, unsatisfactoryMarks } from './domain/class-report';

const byName = new Intl.Collator('ru');

/** Which dates a report covers: a period, or a range of dates inside the class's school year. */
export interface ReportRange {
  periodId?: string;
  from?: string;
  to?: string;
}

/**
 * The reports (SPEC §7) of one class, built from the journal grids the views already keep: the
 * same voids, the same `asOf` (a report as of a past moment shows what the grids showed then).
 */
@Injectable()
export class ReportViews {
  constructor(private readonly journal: JournalViews) {}

  async classReport(school: SchoolState, classId: string, periodId: string, asOf?: Date) {
    const { klass, period } = this.classAndPeriod(school, classId, periodId);
    return classReport({ classId, className: klass.name, period, students: this.students(school, classId, period.endsOn), sheets: await this.sheets(school, classId, period.periodId, asOf) });
  }

  async statement(school: SchoolState, classId: string, asOf?: Date) {
    const klass = this.classOf(school, classId);
    const year = school.years[klass.yearId];
    const periods = year.periods.map(toReportPeriod);
    const sheets: Record<string, SubjectSheet[]> = {};
    for (const period of periods) sheets[period.id] = await this.sheets(school, classId, period.id, asOf);
    return statement({ classId, className: klass.name, year: { id: year.yearId, name: year.name }, periods, students: this.students(school, classId, year.endsOn, year.startsOn), sheets });
  }

  async missedLessons(school: SchoolState, classId: string, range: ReportRange, asOf?: Date) {
    const { from, to, periods } = this.rangeOf(school, classId, range);
    const sheets = await this.sheetsOver(school, classId, periods, asOf);
    return { class: this.classHeader(school, classId), from, to, students: missedLessons(this.students(school, classId, to, from), sheets, from, to) };
  }

  async unsatisfactoryMarks(school: SchoolState, classId: string, range: ReportRange, asOf?: Date) {
    const { from, to, periods } = this.rangeOf(school, classId, range);
    const sheets = await this.sheetsOver(school, classId, periods, asOf);
    return { class: this.classHeader(school, classId), from, to, students: unsatisfactoryMarks(this.students(school, classId, to, from), sheets, from, to) };
  }

  classHeader(school: SchoolState, classId: string) {
    const klass = this.classOf(school, classId);
    return { id: classId, name: klass.name };
  }

  private classOf(school: SchoolState, classId: string) {
    const klass = school.classes[classId];
    if (!klass) throw notFound('class');
    return klass;
  }

  private classAndPeriod(school: SchoolState, classId: string, periodId: string) {
    const klass = this.classOf(school, classId);
    const period = school.periods[periodId];
    if (!period || period.yearId !== klass.yearId) throw noSuch('periodId', "period of the class's school year");
    return { klass, period: { ...toReportPeriod(period), periodId } };
  }

  /** A period, or from–to inside the class's year (both or neither), and the periods it touches. */
  private rangeOf(school: SchoolState, classId: string, range: ReportRange): { from: string; to: string; periods: string[] } {
    const klass = this.classOf(school, classId);
    const year = school.years[klass.yearId];
    if (range.periodId) {
      if (range.from || range.to) throw invalid('periodId', 'give either periodId or from and to, not both');
      const { period } = this.classAndPeriod(school, classId, range.periodId);
      return { from: period.startsOn, to: period.endsOn, periods: [period.id] };
    }
    if (!range.from || !range.to) throw invalid('periodId', 'give periodId, or from and to');
    if (range.to < range.from) throw invalid('to', 'must not be before from');
    const periods = year.periods.filter((p) => p.startsOn <= range.to! && range.from! <= p.endsOn).map((p) => p.periodId);
    return { from: range.from, to: range.to, periods };
  }

  /** The class's students on `date` (and those who were in it on `since`), by name. */
  private students(school: SchoolState, classId: string, date: string, since?: string): ReportStudent[] {
    const ids = new Set([...classRoster(school, classId, date), ...(since ? classRoster(school, classId, since) : [])]);
    return [...ids].map((id) => ({ id, fullName: school.students[id]?.fullName ?? '' })).sort((a, b) => byName.compare(a.fullName, b.fullName) || a.id.localeCompare(b.id));
  }

  private async sheetsOver(school: SchoolState, classId: string, periods: readonly string[], asOf?: Date): Promise<SubjectSheet[]> {
    return (await Promise.all(periods.map((periodId) => this.sheets(school, classId, periodId, asOf)))).flat();
  }

  /** One sheet per subject the class learns: its groups' grids for the period, merged (a class split in groups). */
  private async sheets(school: SchoolState, classId: string, periodId: string, asOf?: Date): Promise<SubjectSheet[]> {
    const groups = Object.values(school.groups)
      .filter((group) => group.classId === classId)
      .sort((a, b) => byName.compare(school.subjects[a.subjectId]?.name ?? '', school.subjects[b.subjectId]?.name ?? '') || byName.compare(a.name, b.name));
    const bySubject = new Map<string, SubjectSheet & { lessons: SubjectSheet['lessons'][number][]; students: SubjectSheet['students'][number][] }>();
    for (const group of groups) {
      const grid = await this.journal.grid(school, group.groupId, periodId, asOf);
      let sheet = bySubject.get(group.subjectId);
      if (!sheet) {
        sheet = { groupId: group.groupId, subjectId: group.subjectId, subjectName: school.subjects[group.subjectId]?.name ?? '', lessons: [], students: [] };
        bySubject.set(group.subjectId, sheet);
      }
      sheet.lessons.push(...grid.lessons.map((lesson) => ({ id: lesson.id, date: lesson.date, topic: lesson.topic })));
      for (const student of grid.students) {
        if (sheet.students.some((s) => s.id === student.id)) continue;
        // The grid leaves withdrawn marks out already; the guard keeps the type honest.
        const marks = student.marks.flatMap((m) => (m.value === null ? [] : [{ lessonId: m.lessonId, value: m.value, workKind: m.workKind }]));
        const attendance = student.attendance.flatMap((a) => (a.code === null ? [] : [{ lessonId: a.lessonId, code: a.code }]));
        sheet.students.push({ id: student.id, marks, attendance, finalMark: student.finalMark });
      }
    }
    return [...bySubject.values()];
  }
}

const toReportPeriod = (period: { periodId: string; name: string; startsOn: string; endsOn: string }): ReportPeriod => ({
  id: period.periodId,
  name: period.name,
  startsOn: period.startsOn,
  endsOn: period.endsOn,
});
