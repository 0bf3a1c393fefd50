import type { Standing } from './domain/attestation';
import type { ClassReport, Statement } from './domain/class-report';
import type { Cell, ReportDocument } from './formats/report-document';

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

export function classReportDocument(report: ClassReport, schoolName: string): ReportDocument {
  const { totals } = report;
  return {
    fileName: 'class-report',
    title: `Отчёт по классу ${report.class.name}`,
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
        printed: false,
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
