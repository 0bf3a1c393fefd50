import { defaultSettings, NotificationSettings } from './notification-settings.decider';
import { deliveryPlan, digestId, inQuietHours, localParts, momentAt, newsOf, notificationId, ParentFacts, quietEnd, recipientsOf, retryDelayMs, voidNoticeId } from './notifications';
import { describe as describeEvent, digestMessage, newsMessage, smsText, voidNoticeMessage } from './templates';

const settings = (overrides: Partial<NotificationSettings> = {}): NotificationSettings => ({ ...defaultSettings('p1'), email: 'mama@example.ru', ...overrides });
const parent = (overrides: Partial<ParentFacts> = {}): ParentFacts => ({ parentId: 'p1', consentGiven: true, settings: settings(), ...overrides });
const MOSCOW = 'Europe/Moscow';

describe('what is news for parents', () => {
  it.each([
    ['MarkRecorded', { studentId: 's1', value: 5 }, 'mark'],
    ['MarkCorrected', { studentId: 's1', before: 5, after: 4 }, 'mark'],
    ['AttendanceRecorded', { studentId: 's1', code: 'Н' }, 'absence'],
    ['AttendanceCorrected', { studentId: 's1', before: 'Н', after: null }, 'absence'],
    ['DailyAbsenceRecorded', { studentId: 's1', code: 'Б' }, 'absence'],
    ['FinalMarkSet', { studentId: 's1', value: '5' }, 'final-mark'],
  ])('given %s, it is news of kind %s', (type, data, kind) => {
    expect(newsOf({ eventId: 'e', type, data })).toEqual({ kind, studentId: 's1' });
  });

  it.each(['LessonRecorded', 'PeriodLocked', 'ConsentGranted', 'NotificationSent'])('given %s, it is no news', (type) => {
    expect(newsOf({ eventId: 'e', type, data: { studentId: 's1' } })).toBeNull();
  });
});

describe('who is told', () => {
  const news = { kind: 'mark' as const, studentId: 's1' };

  it('a parent with consent, an address and the wish: on each channel they chose', () => {
    expect(recipientsOf(news, [parent({ settings: settings({ phone: '+79161234567', channels: ['email', 'sms'] }) })])).toEqual([
      { parentId: 'p1', channel: 'email' },
      { parentId: 'p1', channel: 'sms' },
    ]);
  });

  it('nobody without consent, without settings, without a contact for the channel, or not wanting that kind', () => {
    expect(recipientsOf(news, [parent({ consentGiven: false })])).toEqual([]);
    expect(recipientsOf(news, [parent({ settings: null })])).toEqual([]);
    expect(recipientsOf(news, [parent({ settings: settings({ email: null }) })])).toEqual([]);
    expect(recipientsOf(news, [parent({ settings: settings({ channels: ['sms'] }) })])).toEqual([]);
    expect(recipientsOf(news, [parent({ settings: settings({ kinds: ['absence'] }) })])).toEqual([]);
  });
});

describe('when it goes', () => {
  it('at once outside quiet hours', () => {
    const now = new Date('2026-09-07T06:00:00Z'); // 09:00 in Moscow
    expect(deliveryPlan(now, settings({ quietHours: { from: '21:00', to: '08:00' } }), { parentId: 'p1', channel: 'email' }, MOSCOW)).toEqual({ dueAt: now, digestKey: null });
  });

  it('in quiet hours over midnight: at their end, the next morning or the same one', () => {
    const quiet = settings({ quietHours: { from: '21:00', to: '08:00' } });
    expect(quietEnd(new Date('2026-09-07T19:30:00Z'), quiet, MOSCOW).toISOString()).toBe('2026-09-08T05:00:00.000Z'); // 22:30 → 08:00 next day
    expect(quietEnd(new Date('2026-09-07T02:00:00Z'), quiet, MOSCOW).toISOString()).toBe('2026-09-07T05:00:00.000Z'); // 05:00 → 08:00 same day
  });

  it('a digest: at the digest time today, or tomorrow once it passed, keyed by parent, channel and day', () => {
    const digest = settings({ digest: true, digestAt: '19:00' });
    expect(deliveryPlan(new Date('2026-09-07T06:00:00Z'), digest, { parentId: 'p1', channel: 'email' }, MOSCOW)).toEqual({
      dueAt: new Date('2026-09-07T16:00:00Z'),
      digestKey: 'p1:email:2026-09-07',
    });
    expect(deliveryPlan(new Date('2026-09-07T17:00:00Z'), digest, { parentId: 'p1', channel: 'sms' }, MOSCOW)).toEqual({
      dueAt: new Date('2026-09-08T16:00:00Z'),
      digestKey: 'p1:sms:2026-09-08',
    });
  });

  it('a digest whose time falls in quiet hours waits for their end', () => {
    const digest = settings({ digest: true, digestAt: '19:00', quietHours: { from: '18:00', to: '21:00' } });
    expect(deliveryPlan(new Date('2026-09-07T06:00:00Z'), digest, { parentId: 'p1', channel: 'email' }, MOSCOW)).toEqual({
      dueAt: new Date('2026-09-07T18:00:00Z'),
      digestKey: 'p1:email:2026-09-07',
    });
  });

  it('local times in a zone with summer time (Berlin, the night clocks go forward)', () => {
    expect(momentAt('Europe/Berlin', '2026-03-28', '12:00').toISOString()).toBe('2026-03-28T11:00:00.000Z');
    expect(momentAt('Europe/Berlin', '2026-03-29', '12:00').toISOString()).toBe('2026-03-29T10:00:00.000Z');
    expect(localParts('Asia/Vladivostok', new Date('2026-09-07T14:30:00Z'))).toEqual({ date: '2026-09-08', minutes: 30 });
  });

  it('quiet hours hold from their start and end at their end', () => {
    expect(inQuietHours({ from: '21:00', to: '08:00' }, 21 * 60)).toBe(true);
    expect(inQuietHours({ from: '21:00', to: '08:00' }, 8 * 60)).toBe(false);
    expect(inQuietHours({ from: '13:00', to: '14:00' }, 13 * 60 + 59)).toBe(true);
  });

  it('retries back off, doubling from 2 s to at most an hour, jittered to between half and all of it', () => {
    expect(retryDelayMs(1, 0)).toBe(1_000);
    expect(retryDelayMs(1, 0.999999)).toBe(2_000);
    expect(retryDelayMs(4, 0)).toBe(8_000);
    expect(retryDelayMs(40, 0)).toBe(1_800_000);
    expect(retryDelayMs(40, 0.9999999)).toBeLessThanOrEqual(3_600_000);
  });
});

describe('ids the receiver deduplicates by', () => {
  it('are the same for the same event, parent and channel, and differ otherwise', () => {
    expect(notificationId('e1', 'p1', 'email')).toBe(notificationId('e1', 'p1', 'email'));
    expect(new Set([notificationId('e1', 'p1', 'email'), notificationId('e1', 'p1', 'sms'), notificationId('e1', 'p2', 'email'), notificationId('e2', 'p1', 'email')]).size).toBe(4);
    expect(voidNoticeId(notificationId('e1', 'p1', 'email'))).not.toBe(notificationId('e1', 'p1', 'email'));
    expect(digestId('p1:email:2026-09-07', ['b', 'a'])).toBe(digestId('p1:email:2026-09-07', ['a', 'b']));
  });
});

describe('messages in Russian', () => {
  const facts = { schoolName: 'Школа № 1', studentName: 'Иванов Иван', subjectName: 'Математика', periodName: 'I четверть' };

  it('a mark, a correction, an absence, a final mark', () => {
    expect(describeEvent({ ...facts, type: 'MarkRecorded', data: { value: 5, lessonDate: '2026-09-07' } })).toBe('Иванов Иван: оценка 5 по предмету «Математика» за 07.09.2026.');
    expect(describeEvent({ ...facts, type: 'MarkCorrected', data: { before: 3, after: 4, lessonDate: '2026-09-07' } })).toBe(
      'Иванов Иван: оценка по предмету «Математика» за 07.09.2026 исправлена: 3 → 4.',
    );
    expect(describeEvent({ ...facts, type: 'AttendanceRecorded', data: { code: 'Н', lessonDate: '2026-09-07' } })).toBe(
      'Иванов Иван: отсутствие без уважительной причины (Н) по предмету «Математика» 07.09.2026.',
    );
    expect(describeEvent({ ...facts, type: 'FinalMarkSet', data: { value: '4', deferred: false } })).toBe('Иванов Иван: итоговая оценка по предмету «Математика» за I четверть: 4.');
  });

  it('a void notice says the record never counted; an SMS has no signature; a digest lists the day', () => {
    const mark = { ...facts, type: 'MarkRecorded', data: { value: 2, lessonDate: '2026-09-07' } };
    expect(voidNoticeMessage(mark).subject).toBe('Запись аннулирована: Иванов Иван');
    expect(voidNoticeMessage(mark).text).toMatch(/^Запись аннулирована\. Ранее отправленное сообщение недействительно: Иванов Иван: оценка 2/);
    expect(smsText(newsMessage(mark))).toBe('Иванов Иван: оценка 2 по предмету «Математика» за 07.09.2026.');
    expect(digestMessage('Школа № 1', '2026-09-07', ['a', 'b']).text).toMatch(/^Сводка электронного журнала за 07\.09\.2026:\n• a\n• b\n/);
  });
});
