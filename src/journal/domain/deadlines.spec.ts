import { homeworkDue, lessonDue, markDue, zonedMoment } from './deadlines';

describe('deadlines (seed 003)', () => {
  const tz = 'Europe/Moscow';
  it('a classwork mark is due by the end of the lesson day, school time', () => {
    expect(markDue('2026-09-07', 'classwork', tz).toISOString()).toBe('2026-09-07T20:59:59.999Z');
  });
  it('a test mark within 5 days, written work within 7', () => {
    expect(markDue('2026-09-07', 'test', tz).toISOString()).toBe('2026-09-12T20:59:59.999Z');
    expect(markDue('2026-09-07', 'written', tz).toISOString()).toBe('2026-09-14T20:59:59.999Z');
  });
  it('homework within 3 hours of the end of the lesson (slot 1 ends 09:15)', () => {
    expect(homeworkDue('2026-09-07', 1, tz).toISOString()).toBe('2026-09-07T09:15:00.000Z');
  });
  it('the lesson entry itself by the end of its day', () => {
    expect(lessonDue('2026-09-07', tz).toISOString()).toBe('2026-09-07T20:59:59.999Z');
  });
  it('handles zones with daylight saving', () => {
    expect(zonedMoment('2026-07-01', 12, 0, 0, 0, 'Europe/Berlin').toISOString()).toBe('2026-07-01T10:00:00.000Z');
    expect(zonedMoment('2026-12-01', 12, 0, 0, 0, 'Europe/Berlin').toISOString()).toBe('2026-12-01T11:00:00.000Z');
  });
});
