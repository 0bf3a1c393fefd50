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

export const NAME_MAX = 200;

/** Reasons and notes: trimmed, 3–1,000 characters (API.md). */
export const Reason = (field = 'reason') => (target: object, key: string) => {
  Trim()(target, key);
  IsString()(target, key);
  MinLength(3, { message: `${field} must be at least 3 characters` })(target, key);
  MaxLength(1000, { message: `${field} must be at most 1,000 characters` })(target, key);
};
