import { isCalendarDate, isMoment } from './dto-rules';

describe('calendar dates', () => {
  it.each(['2026-02-28', '2028-02-29', '2026-12-31', '2026-01-01'])('accepts %s', (value) => expect(isCalendarDate(value)).toBe(true));
  it.each(['2026-02-30', '2027-02-29', '2026-13-01', '2026-00-10', '2026-1-1', '26-01-01', '2026-01-01T00:00', '', 20260101, null])(
    'refuses %p',
    (value) => expect(isCalendarDate(value)).toBe(false),
  );
});

describe('moments', () => {
  it.each(['2026-02-28T23:59:59Z', '2028-02-29T00:00:00.000Z', '2026-09-07T08:30:00.123456+03:00', '2026-09-07T08:30:00-09:30'])('accepts %s', (value) =>
    expect(isMoment(value)).toBe(true),
  );
  it.each([
    '2026-02-30T10:00:00.000Z',
    '2027-02-29T10:00:00Z',
    '2026-09-07T24:00:00Z',
    '2026-09-07T10:60:00Z',
    '2026-09-07T10:00:60Z',
    '2026-09-07T10:00:00+24:00',
    '2026-09-07T10:00:00+03:60',
    '2026-09-07T10:00:00',
    '2026-09-07',
    '2026-09-07 10:00:00Z',
    '',
    1788000000000,
    null,
  ])('refuses %p', (value) => expect(isMoment(value)).toBe(false));
});
