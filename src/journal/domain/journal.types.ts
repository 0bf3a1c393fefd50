export const WORK_KINDS = ['classwork', 'homework', 'test', 'written', 'oral', 'other'] as const;
export type WorkKind = (typeof WORK_KINDS)[number];

/** Н absent without reason, Б ill, У excused (seed 001 §1.4). */
export const ATTENDANCE_CODES = ['Н', 'Б', 'У'] as const;
export type AttendanceCode = (typeof ATTENDANCE_CODES)[number];

/** Final marks (seed 003 §5, §12): 2–5, ОСВ exempt, Н/А not attested, or deferred for illness. */
export const FINAL_VALUES = ['2', '3', '4', '5', 'ОСВ', 'Н/А', 'deferred'] as const;
export type FinalValue = (typeof FINAL_VALUES)[number];

export type MarkValue = 1 | 2 | 3 | 4 | 5;
