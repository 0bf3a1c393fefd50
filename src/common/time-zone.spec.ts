import { dateIn } from './time-zone';

describe('dateIn: a school’s calendar date of a moment', () => {
  it('follows the school’s time zone across midnight, also when asked again within the same minute', () => {
    expect(dateIn('Europe/Moscow', new Date('2026-09-07T20:59:59.999Z'))).toBe('2026-09-07');
    expect(dateIn('Europe/Moscow', new Date('2026-09-07T21:00:00.000Z'))).toBe('2026-09-08');
    expect(dateIn('Europe/Moscow', new Date('2026-09-07T21:00:59.000Z'))).toBe('2026-09-08');
    expect(dateIn('Asia/Vladivostok', new Date('2026-09-07T21:00:00.000Z'))).toBe('2026-09-08');
    expect(dateIn('UTC', new Date('2026-09-07T21:00:00.000Z'))).toBe('2026-09-07');
    // Back to an earlier minute: the cached answer is not reused for another minute.
    expect(dateIn('Europe/Moscow', new Date('2026-09-07T20:59:00.000Z'))).toBe('2026-09-07');
  });
});
