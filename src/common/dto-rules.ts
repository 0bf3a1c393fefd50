import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength, registerDecorator, ValidationOptions } from 'class-validator';

/** Strings are trimmed (API.md); anything else is left for the type checks to refuse. */
export const Trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

/** A real calendar date as YYYY-MM-DD: 2026-02-30 is refused. */
export function IsCalendarDate(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isCalendarDate',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a real date as YYYY-MM-DD`, ...options },
      validator: { validate: isCalendarDate },
    });
}

export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. */
const MOMENT = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

/**
 * A real RFC 3339 moment: its date a real date and its clock a real time, checked field by field
 * like dates are, because `Date` would roll 2026-02-30T10:00Z over to 2 March and 24:00 to the next
 * day. A leap second (:60) has no instant of its own in the service's clock: refused too.
 */
export function isMoment(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const parts = MOMENT.exec(value);
  if (!parts || !isCalendarDate(parts[1])) return false;
  const [hour, minute, second] = [parts[2], parts[3], parts[4]].map(Number);
  if (hour > 23 || minute > 59 || second > 59) return false;
  return parts[6] === 'Z' || (Number(parts[7]) <= 23 && Number(parts[8]) <= 59);
}

/** A real RFC 3339 moment (see isMoment). */
export function IsMoment(options?: ValidationOptions) {
  return (target: object, propertyName: string) =>
    registerDecorator({
      name: 'isMoment',
      target: target.constructor,
      propertyName,
      options: { message: `${propertyName} must be a real RFC 3339 moment, e.g. 2026-09-07T08:30:00.000Z`, ...options },
      validator: { validate: isMoment },
    });
}

export const NAME_MAX = 200;

/** Reasons and notes: trimmed, 3–1,000 characters (API.md). */
export const Reason = (field = 'reason') => (target: object, key: string) => {
  Trim()(target, key);
  IsString()(target, key);
  MinLength(3, { message: `${field} must be at least 3 characters` })(target, key);
  MaxLength(1000, { message: `${field} must be at most 1,000 characters` })(target, key);
};
