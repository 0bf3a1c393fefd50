/**
 * Completeness and timeliness of journal filling (seed 003 §2, §4, §9–§11; SPEC §3 deadlines): per
 * teacher and group, how many lessons, homework entries, marks and final marks they entered, and
 * how many of them after their due moment (the decider flags each at entry: `late`,
 * `homeworkLate`). Homework first given by a correction counts as late when the correction came
 * after the homework's due moment. «Не задано» (homework `null`) is an entry under the same rule, and
 * is also counted apart so a deputy sees lessons left without homework.
 */
export interface FillingEvent {
  readonly type: string;
  readonly recordedAt: string;
  readonly actor: { readonly accountId: string };
  readonly data: Record<string, unknown>;
}

export interface FillingRow {
  teacherId: string;
  groupId: string;
  lessons: number;
  lessonsLate: number;
  homeworkNotGiven: number;
  homeworkLate: number;
  marks: number;
  marksLate: number;
  finalMarks: number;
  finalMarksLate: number;
  /** Every entry counted above (a lesson's homework is an entry of its own). */
  entries: number;
  onTime: number;
  /** onTime / entries × 100, one decimal; null without entries. */
  onTimeRate: number | null;
}

const row = (teacherId: string, groupId: string): FillingRow => ({
  teacherId,
  groupId,
  lessons: 0,
  lessonsLate: 0,
  homeworkNotGiven: 0,
  homeworkLate: 0,
  marks: 0,
  marksLate: 0,
  finalMarks: 0,
  finalMarksLate: 0,
  entries: 0,
  onTime: 0,
  onTimeRate: null,
});

/** The rows of these journal events (voids already left out), by teacher then group, in first-seen order. */
export function fillingRows(events: readonly FillingEvent[]): FillingRow[] {
  const rows = new Map<string, FillingRow>();
  const lessons = new Map<string, { row: FillingRow; homeworkDueAt: string; homework: unknown; late: boolean }>();
  const of = (event: FillingEvent) => {
    const groupId = String(event.data.groupId);
    const key = `${event.actor.accountId} ${groupId}`;
    let found = rows.get(key);
    if (!found) rows.set(key, (found = row(event.actor.accountId, groupId)));
    return found;
  };
  for (const event of events) {
    const d = event.data;
    switch (event.type) {
      case 'LessonRecorded': {
        const r = of(event);
        r.lessons += 1;
        if (d.late === true) r.lessonsLate += 1;
        // «Не задано» is a homework entry too, under the same 3-hour rule.
        if (d.homework === null) r.homeworkNotGiven += 1;
        if (d.homeworkLate === true) r.homeworkLate += 1;
        lessons.set(String(d.lessonId), { row: r, homeworkDueAt: String(d.homeworkDueAt ?? ''), homework: d.homework, late: d.homeworkLate === true });
        break;
      }
      case 'LessonCorrected': {
        const lesson = lessons.get(String(d.lessonId));
        if (!lesson || d.field !== 'homework') break;
        // Homework first given by a correction: the «Не задано» entry becomes a late homework if it came after its due moment.
        if (lesson.homework === null && d.after !== null) {
          lesson.row.homeworkNotGiven -= 1;
          if (!lesson.late && lesson.homeworkDueAt && event.recordedAt > lesson.homeworkDueAt) {
            lesson.row.homeworkLate += 1;
            lesson.late = true;
          }
        } else if (lesson.homework !== null && d.after === null) {
          lesson.row.homeworkNotGiven += 1;
        }
        lesson.homework = d.after;
        break;
      }
      case 'MarkRecorded': {
        const r = of(event);
        r.marks += 1;
        if (d.late === true) r.marksLate += 1;
        break;
      }
      case 'FinalMarkSet': {
        if (d.before !== null && d.before !== undefined) break; // a change of a final mark is a correction, not an entry
        const r = of(event);
        r.finalMarks += 1;
        if (d.late === true) r.finalMarksLate += 1;
        break;
      }
      default:
        break;
    }
  }
  for (const r of rows.values()) {
    // A lesson is two entries: its record (topic, attendance day) and its homework.
    r.entries = r.lessons * 2 + r.marks + r.finalMarks;
    r.onTime = r.entries - r.lessonsLate - r.homeworkLate - r.marksLate - r.finalMarksLate;
    r.onTimeRate = r.entries === 0 ? null : Math.round((r.onTime / r.entries) * 1000) / 10;
  }
  return [...rows.values()];
}
