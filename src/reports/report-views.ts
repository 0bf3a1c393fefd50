import { Inject, Injectable } from '@nestjs/common';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { journalStream } from '../journal/domain/journal.decider';
import { VoidingFilter } from '../security/voiding-filter';
import { FillingRow, fillingRows } from './domain/filling';
import { invalid, noSuch, notFound } from '../common/domain-error';
import { JournalViews } from '../journal/journal-views';
import { classRoster, SchoolState, teachersOfGroupOn } from '../school/domain/school.decider';
import { GroupFinals, successReport } from './domain/success';
import { AccountDirectory } from '../accounts/account-directory';
import { classReport, finalValueOf, missedLessons, ReportPeriod, ReportStudent, statement, SubjectSheet, unsatisfactoryMarks } from './domain/class-report';

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
  constructor(
    private readonly journal: JournalViews,
    private readonly accounts: AccountDirectory,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly voiding: VoidingFilter,
  ) {}

  async classReport(school: SchoolState, classId: string, periodId: string, asOf?: Date) {
    const { klass, period } = this.classAndPeriod(school, classId, periodId);
    return classReport({ classId, className: klass.name, period, students: this.students(school, classId, period.endsOn), sheets: await this.sheets(school, classId, period.periodId, asOf) });
  }

  /** A teacher's report of one group for a period: the class report of that one subject, its students only. */
  async groupReport(school: SchoolState, groupId: string, periodId: string, asOf?: Date) {
    const group = school.groups[groupId];
    if (!group) throw notFound('group');
    const { klass, period } = this.classAndPeriod(school, group.classId, periodId);
    const grid = await this.journal.grid(school, groupId, periodId, asOf);
    const sheet = toSheet(school, group, grid);
    const students = grid.students.map((s) => ({ id: s.id, fullName: s.fullName ?? '' })).sort((a, b) => byName.compare(a.fullName, b.fullName) || a.id.localeCompare(b.id));
    const report = classReport({ classId: group.classId, className: klass.name, period, students, sheets: [sheet] });
    return {
      group: { id: groupId, name: group.name },
      subject: { id: group.subjectId, name: sheet.subjectName },
      ...report,
      missedLessons: missedLessons(students, [sheet], period.startsOn, period.endsOn),
      unsatisfactoryMarks: unsatisfactoryMarks(students, [sheet], period.startsOn, period.endsOn),
    };
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

  /**
   * The annual printout of a class's journal (seed 003 §15: printed once a year, by 30 June, bound,
   * signed and sealed): every group of the class, every period of its year, as the journal shows it.
   */
  async journalPrintout(school: SchoolState, classId: string, asOf?: Date) {
    const klass = this.classOf(school, classId);
    const year = school.years[klass.yearId];
    const groups = this.groupsOf(school, classId);
    const journals = [];
    for (const group of groups) {
      for (const period of year.periods) {
        const grid = await this.journal.grid(school, group.groupId, period.periodId, asOf);
        const names = await this.namesOf(grid.lessons.map((lesson) => lesson.taughtBy));
        const lessons = grid.lessons.map((lesson) => ({ id: lesson.id, date: lesson.date, slot: lesson.slot, topic: lesson.topic, homework: lesson.homework, taughtBy: { id: lesson.taughtBy, fullName: names.get(lesson.taughtBy) ?? '' } }));
        journals.push({
          group: { id: group.groupId, name: group.name },
          subject: { id: group.subjectId, name: school.subjects[group.subjectId]?.name ?? '' },
          period: toReportPeriod(period),
          lessons,
          students: grid.students.map((student) => ({
            id: student.id,
            fullName: student.fullName ?? '',
            marks: student.marks.map((m) => ({ lessonId: m.lessonId, value: m.value, workKind: m.workKind })),
            attendance: student.attendance.map((a) => ({ lessonId: a.lessonId, code: a.code })),
            finalMark: finalValueOf(student.finalMark),
          })),
        });
      }
    }
    return { class: { id: classId, name: klass.name }, year: { id: year.yearId, name: year.name, startsOn: year.startsOn, endsOn: year.endsOn }, journals };
  }

  /**
   * Completeness and timeliness of filling for one period, per teacher and group, from the journal
   * streams themselves (each entry's author and its `late` flags), voids left out as the views do.
   * `onlyTeacher`: a teacher sees their own rows.
   */
  async filling(school: SchoolState, filter: { periodId: string; groupId?: string; teacherId?: string }, asOf?: Date) {
    const period = school.periods[filter.periodId];
    if (!period) throw noSuch('periodId', 'period of this school');
    if (filter.groupId && !school.groups[filter.groupId]) throw noSuch('groupId', 'group of this school');
    const year = school.years[period.yearId];
    const groups = Object.values(school.groups).filter((g) => school.classes[g.classId]?.yearId === year.yearId && (!filter.groupId || g.groupId === filter.groupId));
    const rows = [];
    for (const group of groups) {
      const events = (await this.store.readStream(journalStream(group.groupId, filter.periodId))).filter((e) => !asOf || e.recordedAt <= asOf.toISOString());
      if (events.length === 0) continue;
      const ledger = await this.voiding.ledgerOf([...new Set(events.map((e) => e.actor.accountId))], { asOf });
      const counted = events.filter((e) => ledger.voidedBy(e) === null).map((e) => ({ ...e, data: e.data as Record<string, unknown> }));
      rows.push(...fillingRows(counted).filter((row) => !filter.teacherId || row.teacherId === filter.teacherId));
    }
    const names = await this.namesOf(rows.map((row) => row.teacherId));
    const named = [];
    for (const row of rows) {
      const group = school.groups[row.groupId];
      named.push({
        teacher: { id: row.teacherId, fullName: names.get(row.teacherId) ?? null },
        group: { id: row.groupId, name: group.name },
        class: { id: group.classId, name: school.classes[group.classId]?.name ?? '' },
        subject: { id: group.subjectId, name: school.subjects[group.subjectId]?.name ?? '' },
        ...Object.fromEntries(Object.entries(row).filter(([key]) => key !== 'teacherId' && key !== 'groupId')),
      } as { teacher: { id: string; fullName: string | null }; group: { id: string; name: string }; class: { id: string; name: string }; subject: { id: string; name: string } } & Omit<FillingRow, 'teacherId' | 'groupId'>);
    }
    named.sort((a, b) => byName.compare(a.teacher.fullName ?? '', b.teacher.fullName ?? '') || byName.compare(a.class.name, b.class.name) || byName.compare(a.subject.name, b.subject.name));
    return { period: toReportPeriod(period), rows: named };
  }

  /** Success and quality of the whole school for one period: per class, subject, teacher, and overall. */
  async success(school: SchoolState, periodId: string, asOf?: Date) {
    const period = school.periods[periodId];
    if (!period) throw noSuch('periodId', 'period of this school');
    const groups = Object.values(school.groups).filter((g) => school.classes[g.classId]?.yearId === period.yearId);
    const finals: GroupFinals[] = [];
    for (const group of groups) {
      const grid = await this.journal.grid(school, group.groupId, periodId, asOf);
      finals.push({
        groupId: group.groupId,
        classId: group.classId,
        subjectId: group.subjectId,
        teacherIds: teachersOfGroupOn(school, group.groupId, period.endsOn),
        finals: Object.fromEntries(grid.students.map((student) => [student.id, finalValueOf(student.finalMark)])),
      });
    }
    const report = successReport(finals);
    const teacherNames = await this.namesOf(report.teachers.map((teacher) => teacher.teacherId));
    return {
      period: toReportPeriod(period),
      classes: report.classes.map(({ classId, ...rates }) => ({ class: { id: classId, name: school.classes[classId].name }, ...rates })).sort((a, b) => byName.compare(a.class.name, b.class.name)),
      subjects: report.subjects.map(({ subjectId, ...rates }) => ({ subject: { id: subjectId, name: school.subjects[subjectId]?.name ?? '' }, ...rates })).sort((a, b) => byName.compare(a.subject.name, b.subject.name)),
      teachers: report.teachers.map(({ teacherId, ...rates }) => ({ teacher: { id: teacherId, fullName: teacherNames.get(teacherId) ?? null }, ...rates })).sort((a, b) => byName.compare(a.teacher.fullName ?? '', b.teacher.fullName ?? '')),
      school: report.school,
    };
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

  /** Accounts' full names, each looked up once (null: no such account). */
  private async namesOf(accountIds: readonly string[]): Promise<Map<string, string | null>> {
    const names = new Map<string, string | null>();
    for (const id of new Set(accountIds)) names.set(id, (await this.accounts.get(id))?.fullName ?? null);
    return names;
  }

  /** The class's groups, by subject name then group name. */
  private groupsOf(school: SchoolState, classId: string) {
    return Object.values(school.groups)
      .filter((group) => group.classId === classId)
      .sort((a, b) => byName.compare(school.subjects[a.subjectId]?.name ?? '', school.subjects[b.subjectId]?.name ?? '') || byName.compare(a.name, b.name));
  }

  /** One sheet per subject the class learns: its groups' grids for the period, merged (a class split in groups). */
  private async sheets(school: SchoolState, classId: string, periodId: string, asOf?: Date): Promise<SubjectSheet[]> {
    const groups = this.groupsOf(school, classId);
    const bySubject = new Map<string, SubjectSheet & { lessons: SubjectSheet['lessons'][number][]; students: SubjectSheet['students'][number][] }>();
    for (const group of groups) {
      const grid = await this.journal.grid(school, group.groupId, periodId, asOf);
      let sheet = bySubject.get(group.subjectId);
      if (!sheet) {
        sheet = { groupId: group.groupId, subjectId: group.subjectId, subjectName: school.subjects[group.subjectId]?.name ?? '', lessons: [], students: [] };
        bySubject.set(group.subjectId, sheet);
      }
      const own = toSheet(school, group, grid);
      sheet.lessons.push(...own.lessons);
      for (const student of own.students) if (!sheet.students.some((s) => s.id === student.id)) sheet.students.push(student);
    }
    return [...bySubject.values()];
  }
}

/** One grid as a report's sheet: withdrawn marks and cleared attendance left out. */
function toSheet(school: SchoolState, group: SchoolState['groups'][string], grid: Awaited<ReturnType<JournalViews['grid']>>): SubjectSheet {
  return {
    groupId: group.groupId,
    subjectId: group.subjectId,
    subjectName: school.subjects[group.subjectId]?.name ?? '',
    lessons: grid.lessons.map((lesson) => ({ id: lesson.id, date: lesson.date, topic: lesson.topic })),
    students: grid.students.map((student) => ({
      id: student.id,
      marks: student.marks.flatMap((m) => (m.value === null ? [] : [{ lessonId: m.lessonId, value: m.value, workKind: m.workKind }])),
      attendance: student.attendance.flatMap((a) => (a.code === null ? [] : [{ lessonId: a.lessonId, code: a.code }])),
      finalMark: student.finalMark,
    })),
  };
}

const toReportPeriod = (period: { periodId: string; name: string; startsOn: string; endsOn: string }): ReportPeriod => ({
  id: period.periodId,
  name: period.name,
  startsOn: period.startsOn,
  endsOn: period.endsOn,
});
