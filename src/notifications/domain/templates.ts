/**
 * The messages parents read, in Russian (the school's language), built from the source event and
 * the names the school's structure gives at the moment of sending. Short enough for an SMS.
 */

export interface MessageFacts {
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly schoolName: string;
  readonly studentName: string;
  readonly subjectName: string | null;
  readonly periodName: string | null;
}

export interface Message {
  readonly subject: string;
  readonly text: string;
}

const ABSENCE: Record<string, string> = { Н: 'отсутствие без уважительной причины (Н)', Б: 'отсутствие по болезни (Б)', У: 'отсутствие по уважительной причине (У)' };

/** 2026-12-07 → 07.12.2026, as Russian documents write dates. */
export const russianDate = (date: unknown): string => (typeof date === 'string' && /^\d{4}-\d{2}-\d{2}/.test(date) ? `${date.slice(8, 10)}.${date.slice(5, 7)}.${date.slice(0, 4)}` : '');

const subjectPart = (f: MessageFacts) => (f.subjectName ? ` по предмету «${f.subjectName}»` : '');

const finalValue = (value: unknown, deferred: unknown): string => (deferred === true || value === 'deferred' ? 'аттестация отложена' : String(value));

/** What happened, in one sentence: the line a message, a digest and a void notice are made of. */
export function describe(f: MessageFacts): string {
  const d = f.data;
  const on = russianDate(d.lessonDate ?? d.date);
  switch (f.type) {
    case 'MarkRecorded':
      return `${f.studentName}: оценка ${String(d.value)}${subjectPart(f)} за ${on}.`;
    case 'MarkCorrected':
      return d.after === null
        ? `${f.studentName}: оценка ${String(d.before)}${subjectPart(f)} за ${on} удалена.`
        : `${f.studentName}: оценка${subjectPart(f)} за ${on} исправлена: ${d.before === null ? '—' : String(d.before)} → ${String(d.after)}.`;
    case 'AttendanceRecorded':
    case 'DailyAbsenceRecorded':
      return `${f.studentName}: ${ABSENCE[String(d.code)] ?? String(d.code)}${subjectPart(f)} ${on}.`;
    case 'AttendanceCorrected':
      return d.after === null
        ? `${f.studentName}: отметка об отсутствии${subjectPart(f)} ${on} снята.`
        : `${f.studentName}: отметка об отсутствии${subjectPart(f)} ${on} исправлена: ${ABSENCE[String(d.after)] ?? String(d.after)}.`;
    case 'FinalMarkSet':
      return `${f.studentName}: итоговая оценка${subjectPart(f)}${f.periodName ? ` за ${f.periodName}` : ''}: ${finalValue(d.value, d.deferred)}.`;
    default:
      return `${f.studentName}: запись в журнале.`;
  }
}

const SIGNATURE = (school: string) => `\n\n${school}. Электронный журнал. Это письмо отправлено автоматически; отвечать на него не нужно.`;

export function newsMessage(f: MessageFacts): Message {
  const kind = f.type.startsWith('Mark') ? 'Оценка' : f.type === 'FinalMarkSet' ? 'Итоговая оценка' : 'Посещаемость';
  return { subject: `${kind}: ${f.studentName}`, text: `${describe(f)}${SIGNATURE(f.schoolName)}` };
}

/** Sent after a notification whose operation was declared void (SPEC §4: the record never counted). */
export function voidNoticeMessage(f: MessageFacts): Message {
  return {
    subject: `Запись аннулирована: ${f.studentName}`,
    text: `Запись аннулирована. Ранее отправленное сообщение недействительно: ${describe(f)} Запись внесена через скомпрометированную учётную запись и признана недействительной; в журнале её нет.${SIGNATURE(f.schoolName)}`,
  };
}

export function digestMessage(schoolName: string, date: string, lines: readonly string[]): Message {
  return { subject: `Сводка за ${russianDate(date)}`, text: `Сводка электронного журнала за ${russianDate(date)}:\n${lines.map((l) => `• ${l}`).join('\n')}${SIGNATURE(schoolName)}` };
}

/** An SMS has no subject: the text, without the signature's second line. */
export const smsText = (message: Message): string => message.text.split('\n\n')[0];
