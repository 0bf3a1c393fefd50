import { isCalendarDate } from './dto-rules';

describe('calendar dates', () => {
  it.each(['2026-02-28', '2028-02-29', '2026-12-31', '2026-01-01'])('accepts %s', (value) => expect(isCalendarDate(value)).toBe(true));
  it.each(['2026-02-30', '2027-02-29', '2026-13-01', '2026-00-10', '2026-1-1', '26-01-01', '2026-01-01T00:00', '', 20260101, null])(
    'refuses %p',
    (value) => expect(isCalendarDate(value)).toBe(false),
  );
});
