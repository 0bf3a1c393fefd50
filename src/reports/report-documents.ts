import type { Standing } from './domain/attestation';
import type { ClassReport, Statement } from './domain/class-report';
import type { Cell, ReportDocument, ReportTable } from './formats/report-document';

/** How the paper says each standing (seed 004's «Отчёт по классу»). */
export const STANDING_LABELS: Record<Standing, string> = {
  excellent: 'отличник',
  good: 'хорошист',
  'one-three': 'с одной «3»',
  satisfactory: 'успевает',
  failing: 'не успевает',
  deferred: 'отсрочка',
  none: 'нет итоговых',
};

const WORK_KIND_LABELS: Record<string, string> = { classwork: 'работа на уроке', homework: 'домашняя работа', test: 'контрольная', written: 'письменная', oral: 'устный ответ', other: 'другое' };
const final = (value: string | null | undefined): Cell => (value === 'deferred' ? 'отср.' : (value ?? null));
const percent = (value: number | null): Cell => value;

export function classReportDocument(report: ClassReport, schoolName: string, title = `Отчёт по классу ${report.class.name}`, fileName = 'class-report'): ReportDocument {
  const { totals } = report;
  return {
    fileName,
    title,
    subtitle: [schoolName, `${report.period.name}: ${report.period.startsOn} — ${report.period.endsOn}`],
    tables: [
      {
        title: 'Ученики',
        columns: ['№', 'Ученик', ...report.subjects.map((s) => s.name), 'Итог', 'Пропущено: Н', 'Б', 'У', 'Всего', 'Отметок «1»–«2»'],
        rows: report.students.map((s, i) => [
          i + 1,
          s.fullName,
          ...report.subjects.map((subject) => final(s.finals[subject.subjectId])),
          STANDING_LABELS[s.standing],
          s.missed.Н,
          s.missed.Б,
          s.missed.У,
          s.missed.total,
          s.unsatisfactory,
        ]),
      },
      {
        title: 'По предметам',
        columns: ['Предмет', 'Аттестовано', 'Успевают', 'На «4» и «5»', 'Успеваемость, %', 'Качество знаний, %', 'Средний балл'],
        rows: report.subjects.map((s) => [s.name, s.counted, s.successful, s.ofQuality, percent(s.successRate), percent(s.qualityRate), s.average]),
      },
      {
        title: 'Итого по классу',
        columns: ['Показатель', 'Значение'],
        rows: [
          ['Учеников', totals.students],
          ['Аттестовано', totals.counted],
          ['Отличников', totals.excellent],
          ['Хорошистов', totals.good],
          ['С одной «3»', totals.oneThree],
          ['Успевают с «3»', totals.satisfactory],
          ['Не успевают (в т. ч. «Н/А»)', totals.failing],
          ['Отсрочка аттестации', totals.deferred],
          ['Без итоговых отметок', totals.none],
          ['Успеваемость, %', percent(totals.successRate)],
          ['Качество знаний, %', percent(totals.qualityRate)],
          ['Пропущено уроков: Н', totals.missed.Н],
          ['Пропущено уроков: Б', totals.missed.Б],
          ['Пропущено уроков: У', totals.missed.У],
          ['Отметок «1»–«2»', totals.unsatisfactoryMarks],
        ],
      },
    ],
  };
}

export function statementDocument(sheet: Statement, schoolName: string): ReportDocument {
  return {
    fileName: 'statement',
    title: `Сводная ведомость итоговых отметок, класс ${sheet.class.name}`,
    subtitle: [schoolName, `Учебный год ${sheet.year.name}`],
    tables: [
      {
        title: 'Все отметки',
        in: ['csv', 'xlsx'],
        columns: ['Ученик', 'Предмет', 'Период', 'Отметка'],
        rows: sheet.students.flatMap((s) => sheet.subjects.flatMap((subject) => sheet.periods.map((p) => [s.fullName, subject.name, p.name, final(s.marks[subject.id]?.[p.id])]))),
      },
      ...sheet.periods.map((period) => ({
        title: period.name,
        columns: ['№', 'Ученик', ...sheet.subjects.map((s) => s.name), 'Итог'],
        rows: [
          ...sheet.students.map((s, i): Cell[] => [i + 1, s.fullName, ...sheet.subjects.map((subject) => final(s.marks[subject.id]?.[period.id])), STANDING_LABELS[s.standings[period.id]]]),
          [null, `Успеваемость ${period.successRate ?? '—'} %, качество знаний ${period.qualityRate ?? '—'} %`, ...sheet.subjects.map(() => null), null],
        ],
      })),
    ],
  };
}

interface ListedReport<Student> {
  class: { id: string; name: string };
  from: string;
  to: string;
  students: Student[];
}
type Listed<Item, Extra> = { studentId: string; fullName: string; items: Item[] } & Extra;

export function missedLessonsDocument(
  report: ListedReport<Listed<{ date: string; subject: string; topic: string; code: string }, { counts: Record<'Н' | 'Б' | 'У' | 'total', number> }>>,
  schoolName: string,
): ReportDocument {
  return {
    fileName: 'missed-lessons',
    title: `Пропущенные уроки с темами, класс ${report.class.name}`,
    subtitle: [schoolName, `${report.from} — ${report.to}; Н — без причины, Б — по болезни, У — по уважительной причине`],
    tables: [
      {
        title: 'Пропуски',
        columns: ['Ученик', 'Дата', 'Предмет', 'Тема урока', 'Отметка'],
        rows: report.students.flatMap((s) => s.items.map((item) => [s.fullName, item.date, item.subject, item.topic, item.code])),
      },
      { title: 'Итого по ученикам', columns: ['Ученик', 'Н', 'Б', 'У', 'Всего'], rows: report.students.map((s) => [s.fullName, s.counts.Н, s.counts.Б, s.counts.У, s.counts.total]) },
    ],
  };
}

export function unsatisfactoryDocument(report: ListedReport<Listed<{ date: string; subject: string; topic: string; value: number; workKind: string }, { count: number }>>, schoolName: string): ReportDocument {
  return {
    fileName: 'unsatisfactory-marks',
    title: `Неудовлетворительные отметки с темами, класс ${report.class.name}`,
    subtitle: [schoolName, `${report.from} — ${report.to}`],
    tables: [
      {
        title: 'Отметки «1» и «2»',
        columns: ['Ученик', 'Дата', 'Предмет', 'Тема урока', 'Отметка', 'Вид работы'],
        rows: report.students.flatMap((s) => s.items.map((item) => [s.fullName, item.date, item.subject, item.topic, item.value, WORK_KIND_LABELS[item.workKind] ?? item.workKind])),
      },
      { title: 'Итого по ученикам', columns: ['Ученик', 'Отметок «1»–«2»'], rows: report.students.map((s) => [s.fullName, s.count]) },
    ],
  };
}

/** Lesson columns per marks table: what fits an A4 landscape page at 8 pt. */
export const LESSONS_PER_TABLE = 20;

type Printout = Awaited<ReturnType<import('./report-views').ReportViews['journalPrintout']>>;

const dayMonth = (date: string) => `${date.slice(8, 10)}.${date.slice(5, 7)}`;

/** Every lesson of every student of every journal of the printout, one row each: the long, machine-friendly form (the CSV). */
export function journalEntriesTable(printout: Printout): ReportTable {
  return {
    title: 'Все записи',
    // ~26,000 rows a class: the per-subject sheets hold the same in the workbook.
    in: ['csv'],
    columns: ['Предмет', 'Период', 'Ученик', 'Дата', 'Тема', 'Отметки', 'Посещаемость', 'Итоговая'],
    rows: printout.journals.flatMap((j) =>
      j.students.flatMap((s) =>
        j.lessons.map((l): Cell[] => [
          j.subject.name,
          j.period.name,
          s.fullName,
          l.date,
          l.topic,
          s.marks
            .filter((m) => m.lessonId === l.id)
            .map((m) => m.value)
            .join(' ') || null,
          s.attendance.find((a) => a.lessonId === l.id)?.code ?? null,
          final(s.finalMark),
        ]),
      ),
    ),
  };
}

/**
 * The annual printout of a class journal: per subject and period, the marks and absences by lesson
 * (20 lessons a table, as paper journals turn the page) with the final mark, then the lessons'
 * topics and homework. Its PDF carries the ledger's checkpoint in every footer.
 */
export function journalPrintoutDocument(printout: Printout, schoolName: string): ReportDocument {
  const tables: ReportDocument['tables'] = [journalEntriesTable(printout)];
  for (const j of printout.journals) {
    const heading = `${j.subject.name} (${j.group.name}) — ${j.period.name}`;
    for (let from = 0; from < Math.max(1, j.lessons.length); from += LESSONS_PER_TABLE) {
      const lessons = j.lessons.slice(from, from + LESSONS_PER_TABLE);
      const last = from + LESSONS_PER_TABLE >= j.lessons.length;
      tables.push({
        title: from === 0 ? heading : `${heading}, продолжение`,
        columns: ['№', 'Ученик', ...lessons.map((l) => dayMonth(l.date)), ...(last ? ['Итог'] : [])],
        rows: j.students.map((s, i): Cell[] => [
          i + 1,
          s.fullName,
          ...lessons.map(
            (l) =>
              [s.attendance.find((a) => a.lessonId === l.id)?.code, ...s.marks.filter((m) => m.lessonId === l.id).map((m) => m.value)]
                .filter((x) => x !== undefined && x !== null)
                .join(' ') || null,
          ),
          ...(last ? [final(s.finalMark)] : []),
        ]),
      });
    }
    tables.push({
      title: `${heading}: темы уроков`,
      columns: ['Дата', 'Урок', 'Тема', 'Домашнее задание', 'Провёл'],
      rows: j.lessons.map((l) => [l.date, l.slot, l.topic, l.homework ?? 'Не задано', l.taughtBy.fullName]),
    });
  }
  return {
    fileName: 'journal',
    title: `Классный журнал ${printout.class.name}, ${printout.year.name} учебный год`,
    subtitle: [schoolName, `${printout.year.startsOn} — ${printout.year.endsOn}`, 'Н — без причины, Б — по болезни, У — по уважительной причине'],
    tables,
  };
}

type Filling = Awaited<ReturnType<import('./report-views').ReportViews['filling']>>;

/** Completeness and timeliness of filling, per teacher and group (seed 003 §2, §4, §9–§11). */
export function fillingDocument(report: Filling, schoolName: string): ReportDocument {
  return {
    fileName: 'filling',
    title: 'Полнота и своевременность заполнения журнала',
    subtitle: [schoolName, `${report.period.name}: ${report.period.startsOn} — ${report.period.endsOn}`],
    tables: [
      {
        title: 'По учителям и группам',
        columns: ['Учитель', 'Класс', 'Предмет', 'Группа', 'Уроков', 'Уроков с опозданием', '«Не задано»', 'Д/з с опозданием', 'Отметок', 'Отметок с опозданием', 'Итоговых', 'Итоговых с опозданием', 'Записей', 'Вовремя', 'Вовремя, %'],
        rows: report.rows.map((r) => [r.teacher.fullName, r.class.name, r.subject.name, r.group.name, r.lessons, r.lessonsLate, r.homeworkNotGiven, r.homeworkLate, r.marks, r.marksLate, r.finalMarks, r.finalMarksLate, r.entries, r.onTime, r.onTimeRate]),
      },
    ],
  };
}

type Success = Awaited<ReturnType<import('./report-views').ReportViews['success']>>;

const RATE_COLUMNS = ['Аттестовано', 'Успевают', 'На «4» и «5»', 'Успеваемость, %', 'Качество знаний, %'];

/** Success rate and knowledge quality of the school for a period: by class, subject and teacher. */
export function successDocument(report: Success, schoolName: string): ReportDocument {
  const rates = (r: { counted: number; successful: number; ofQuality: number; successRate: number | null; qualityRate: number | null }): Cell[] => [r.counted, r.successful, r.ofQuality, r.successRate, r.qualityRate];
  return {
    fileName: 'success',
    title: 'Успеваемость и качество знаний',
    subtitle: [schoolName, `${report.period.name}: ${report.period.startsOn} — ${report.period.endsOn}`, `По школе: успеваемость ${report.school.successRate ?? '—'} %, качество знаний ${report.school.qualityRate ?? '—'} %`],
    tables: [
      { title: 'По классам', columns: ['Класс', 'Учеников', ...RATE_COLUMNS], rows: report.classes.map((c) => [c.class.name, c.students, ...rates(c)]) },
      { title: 'По предметам', columns: ['Предмет', 'Отметок', ...RATE_COLUMNS, 'Средний балл'], rows: report.subjects.map((x) => [x.subject.name, x.marks, ...rates(x), x.average]) },
      { title: 'По учителям', columns: ['Учитель', 'Отметок', ...RATE_COLUMNS, 'Средний балл'], rows: report.teachers.map((t) => [t.teacher.fullName, t.marks, ...rates(t), t.average]) },
      { title: 'По школе', columns: ['Учеников', ...RATE_COLUMNS], rows: [[report.school.students, ...rates(report.school)]] },
    ],
  };
}

type Extract = Awaited<ReturnType<import('../parents/parents-views').ParentsViews['extract']>>;

const ATTENDANCE_LABELS: Record<string, string> = { Н: 'Н (без причины)', Б: 'Б (болезнь)', У: 'У (уважительная)' };

/** The parent's paper extract (выписка, seed 000 and 003 §8) for parents without electronic access. */
export function extractDocument(extract: Extract): ReportDocument {
  return {
    fileName: 'extract',
    title: 'Выписка из электронного журнала',
    subtitle: [
      extract.school.name,
      `Ученик: ${extract.student.fullName}${extract.student.class?.name ? `, класс ${extract.student.class.name}` : ''}`,
      `${extract.from} — ${extract.to}${extract.asOf ? `, по состоянию на ${extract.asOf}` : ''}`,
      `Версия данных ${extract.version}`,
    ],
    tables: [
      {
        title: 'Уроки',
        columns: ['Дата', 'Предмет', 'Тема', 'Домашнее задание', 'Отметки', 'Посещаемость'],
        rows: extract.lessons.map((l) => [l.date, l.subject, l.topic, l.homework ?? 'Не задано', l.marks.map((m) => m.value).join(' ') || null, l.attendance ? (ATTENDANCE_LABELS[l.attendance] ?? l.attendance) : null]),
      },
      { title: 'Отметки по предметам', columns: ['Предмет', 'Отметки'], rows: extract.marks.map((m) => [m.subject, m.marks.map((x) => x.value).join(' ') || null]) },
      { title: 'Пропуски', columns: ['Дата', 'Предмет', 'Отметка'], rows: extract.absences.map((a) => [a.date, a.subject, a.code ? (ATTENDANCE_LABELS[a.code] ?? a.code) : null]) },
    ],
  };
}

type GroupReport = Awaited<ReturnType<import('./report-views').ReportViews['groupReport']>>;

/** A teacher's report of one group: the class report's tables for its one subject, then what was missed and failed, with topics. */
export function groupReportDocument(report: GroupReport, schoolName: string): ReportDocument {
  const base = classReportDocument(report, schoolName, `Отчёт по группе «${report.group.name}», ${report.subject.name}, класс ${report.class.name}`, 'group-report');
  const listed = { class: report.class, from: report.period.startsOn, to: report.period.endsOn };
  return {
    ...base,
    tables: [
      ...base.tables,
      ...missedLessonsDocument({ ...listed, students: report.missedLessons }, schoolName).tables.slice(0, 1),
      ...unsatisfactoryDocument({ ...listed, students: report.unsatisfactoryMarks }, schoolName).tables.slice(0, 1),
    ],
  };
}
