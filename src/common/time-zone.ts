import { registerDecorator, ValidationOptions } from 'class-validator';

export function isTimeZone(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/** An IANA time zone name, such as Europe/Moscow. */
export function IsTimeZone(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isTimeZone',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be an IANA time zone such as Europe/Moscow`, ...options },
      validator: { validate: isTimeZone },
    });
}

/**
 * One formatter per time zone, and its last answer per minute: building an Intl.DateTimeFormat was
 * a quarter of a diary read's CPU (every request asks for the school's today), formatting 3%.
 * Offsets change only on whole minutes, so a date is the same throughout a minute.
 */
const formatters = new Map<string, { format: Intl.DateTimeFormat; minute: number; date: string }>();

/** The calendar date (YYYY-MM-DD) of a moment in a time zone: what "today" is for a school. */
export function dateIn(timeZone: string, moment: Date): string {
  const minute = Math.floor(moment.getTime() / 60_000);
  let entry = formatters.get(timeZone);
  if (!entry) {
    entry = { format: new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }), minute: Number.NaN, date: '' };
    // Time zones are few (IANA names, checked at write); the bound only guards against a flood.
    if (formatters.size > 1000) formatters.clear();
    formatters.set(timeZone, entry);
  }
  if (entry.minute !== minute) {
    entry.date = entry.format.format(moment);
    entry.minute = minute;
  }
  return entry.date;
}
