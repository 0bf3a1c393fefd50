/**
 * When an entry is due (seed 003 §2, §4, §9–§11). Deadlines are recorded and reported, never
 * blocking: an entry after its due moment is accepted and flagged `late`.
 */
import type { WorkKind } from './journal.types';

/** Default bell schedule: lesson n starts 08:30 + 55 min × (n − 1) and lasts 45 min. */
export function slotEnd(slot: number): { hour: number; minute: number } {
  const minutes = 8 * 60 + 30 + (slot - 1) * 55 + 45;
  return { hour: Math.floor(minutes / 60), minute: minutes % 60 };
}

/** The UTC instant of a local wall-clock time in a time zone (DST-safe to within the hour it shifts). */
export function zonedMoment(date: string, hour: number, minute: number, second: number, millisecond: number, timeZone: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  const asIfUtc = Date.UTC(y, m - 1, d, hour, minute, second, millisecond);
  let moment = asIfUtc - offsetMs(asIfUtc, timeZone);
  moment = asIfUtc - offsetMs(moment, timeZone);
  return new Date(moment);
}

function offsetMs(instant: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return local - Math.floor(instant / 1000) * 1000;
}

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

const endOfDay = (date: string, timeZone: string) => zonedMoment(date, 23, 59, 59, 999, timeZone);

/** Marks: the lesson's day; a test: 5 days; written work: 7 days (seed 003 §2, §9, §10). */
export function markDue(lessonDate: string, workKind: WorkKind, timeZone: string): Date {
  const days = workKind === 'test' ? 5 : workKind === 'written' ? 7 : 0;
  return endOfDay(addDays(lessonDate, days), timeZone);
}

/** The lesson itself (topic, attendance): its day (seed 003 §2, §7). */
export const lessonDue = (lessonDate: string, timeZone: string): Date => endOfDay(lessonDate, timeZone);

/** Homework: within 3 hours after the lesson ends (seed 003 §4; the lesson's own end stands in for the class's last lesson). */
export function homeworkDue(lessonDate: string, slot: number, timeZone: string): Date {
  const end = slotEnd(slot);
  return new Date(zonedMoment(lessonDate, end.hour, end.minute, 0, 0, timeZone).getTime() + 3 * 3600_000);
}

/** Final marks: by the end of the period (seed 003 §11: in its last week). */
export const finalMarkDue = (periodEndsOn: string, timeZone: string): Date => endOfDay(periodEndsOn, timeZone);
