import request from 'supertest';
import { ManualClock } from '../../src/common/clock';
import { Database, DATABASE } from '../../src/database/database';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { MailReceiver, SmsReceiver, until } from '../support/notification-receivers';
import { ADMIN_PASSWORD, api, PASSWORD, SchoolWorld, buildSchool } from '../support/school-fixture';

const SMS_SECRET = 'a-shared-secret-of-the-sms-gateway';

/**
 * Issue 17 end to end, with a real SMTP server and an SMS webhook on loopback: who is told of a
 * mark, how (templates in Russian, a signed webhook, ids the receiver deduplicates by), when
 * (quiet hours, a daily digest), and what voiding does to a notification before and after it went.
 */
describe(`notifications to parents (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let client: ReturnType<typeof api>;
  let world: SchoolWorld;
  let s: string;
  let teacher: string;
  let lessonId: string;
  let secondParent: string;
  let position = '0.0';
  const mail = new MailReceiver();
  const sms = new SmsReceiver(SMS_SECRET);
  // 09:00 in Moscow, the school's time zone.
  const clock = new ManualClock('2026-09-07T06:00:00.000Z');
  const sent: Record<string, string> = {};

  const ok = async (response: { status: number; body: { id: string; position: string } }, what: string) => {
    if (response.status !== 201) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
    position = response.body.position;
    return response.body;
  };
  const outbox = async (query = '') => (await client.get(`${s}/notifications?limit=1000${query}`, world.tokens.director).expect(200)).body.items as { id: string; parentId: string; channel: string; state: string; kind: string; sourceEventId: string; outcome: string | null; corrects: string | null; digestId: string | null }[];
  const mark = async (value: number) => (await ok(await client.post(`${s}/lessons/${lessonId}/marks`, teacher, { studentId: world.studentId, value, workKind: 'classwork' }), `mark ${value}`)).id;
  /** The event that recorded a mark, from the raw log (PostgreSQL shows a write there once no older transaction is open: polled). */
  const eventOfMark = async (markId: string) => {
    let eventId: string | undefined;
    await until(async () => {
      const log = await client.get(`${s}/audit/events?type=MarkRecorded`, world.tokens.director).expect(200);
      eventId = (log.body.items as { eventId: string; data: { markId: string } }[]).find((e) => e.data.markId === markId)?.eventId;
      return eventId !== undefined;
    }, 'the mark in the raw log');
    return eventId!;
  };
  const settings = (parentId: string, token: string | null, body: object) => client.post(`${s}/parents/${parentId}/notification-settings`, token, body);

  beforeAll(async () => {
    await mail.start();
    await sms.start();
    subject = await startTestApp({
      env: { ADMIN_PASSWORD, SMTP_URL: mail.url, SMS_WEBHOOK_URL: sms.url, SMS_WEBHOOK_SECRET: SMS_SECRET, NOTIFICATIONS_POLL_MS: '20' },
      clock,
    });
    client = api(subject.server);
    world = await buildSchool(subject.server, 'n');
    s = `/schools/${world.schoolId}`;
    teacher = world.tokens.assignedTeacher!;
    // A second parent of the same student, who has given no consent.
    const admin = await client.login('admin', ADMIN_PASSWORD);
    secondParent = (await ok(await client.post(`${s}/accounts`, admin, { login: 'n-parent-2', password: PASSWORD, fullName: 'Иванова Мария', roles: ['parent'] }), 'second parent')).id;
    await ok(await client.post(`${s}/parent-links`, world.tokens.deputy, { parentId: secondParent, studentId: world.studentId }), 'second link');
    lessonId = (await ok(await client.post(`${s}/groups/${world.groupId}/lessons`, teacher, { date: '2026-09-07', slot: 1, topic: 'Дроби', homework: '№ 12' }), 'lesson')).id;
  }, 60_000);
  afterAll(async () => {
    await subject?.close();
    await mail.stop();
    await sms.stop();
  });

  it('settings: the class teacher enters contacts, the parent chooses; bad input is 400 naming the field, others 403', async () => {
    await ok(await settings(world.accounts.parent, world.tokens.classTeacher, { email: 'mama@example.ru', phone: '+79161234567' }), 'contacts by the class teacher');
    await ok(await settings(world.accounts.parent, world.tokens.parent, { channels: ['email', 'sms'] }), 'channels by the parent');
    await ok(await settings(secondParent, world.tokens.classTeacher, { email: 'papa@example.ru' }), 'contact of the parent without consent');

    const bad = await settings(world.accounts.parent, world.tokens.parent, { email: 'not an address' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('email');
    const badTime = await settings(world.accounts.parent, world.tokens.parent, { quietHours: { from: '25:00', to: '07:00' } });
    expect(badTime.status).toBe(400);
    const other = await settings(world.accounts.parent, world.tokens.otherParent, { email: 'x@example.ru' });
    expect(other.status).toBe(403);
    expect(other.body.message ?? JSON.stringify(other.body)).toMatch(/parent/);
    const same = await settings(world.accounts.parent, world.tokens.parent, { channels: ['email', 'sms'] });
    expect(same.status).toBe(409);

    const read = await client.get(`${s}/parents/${world.accounts.parent}/notification-settings`, world.tokens.parent).expect(200);
    expect(read.body).toMatchObject({ email: 'mama@example.ru', phone: '+79161234567', channels: ['email', 'sms'], quietHours: null, digest: false });
  });

  it('a mark: one e-mail and one signed SMS to the parent with consent, nothing to the one without', async () => {
    const markId = await mark(5);
    await until(() => mail.deliveries.length >= 1 && sms.deliveries.length >= 1, 'the e-mail and the SMS');
    // Nothing more arrives: the parent without consent is not told.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mail.deliveries).toHaveLength(1);
    expect(sms.deliveries).toHaveLength(1);
    const [email] = mail.deliveries;
    expect(email.to).toBe('mama@example.ru');
    expect(email.subject).toBe('Оценка: Иванов Иван');
    expect(email.text).toContain('Иванов Иван: оценка 5 по предмету «Математика» за 07.09.2026.');
    expect(email.messageId).toBe(`<${email.notificationId}@zhurnal.notifications>`);
    const [text] = sms.deliveries;
    expect(text).toMatchObject({ to: '+79161234567', signed: true });
    expect(text.idempotencyKey).toBe(text.id);
    expect(text.text).toBe('Иванов Иван: оценка 5 по предмету «Математика» за 07.09.2026.');

    const rows = await outbox();
    expect(rows.map((r) => [r.parentId, r.channel, r.state]).sort()).toEqual(
      [
        [world.accounts.parent, 'email', 'sent'],
        [world.accounts.parent, 'sms', 'sent'],
      ].sort(),
    );
    expect(rows.every((r) => r.parentId !== secondParent)).toBe(true);
    sent.mark = markId;
    sent.email = email.notificationId;
    // The log keeps each delivery, by id only.
    await until(async () => {
      const log = await client.get(`${s}/audit/events?type=NotificationSent`, world.tokens.director).expect(200);
      return (log.body.items as unknown[]).length === 2;
    }, 'two NotificationSent events in the log');
    const log = await client.get(`${s}/audit/events?type=NotificationSent`, world.tokens.director).expect(200);
    expect(JSON.stringify(log.body)).not.toContain('mama@example.ru');
    expect(log.body.items.map((e: { data: { notificationId: string } }) => e.data.notificationId)).toContain(email.notificationId);
  });

  it('a daily digest: the marks of the day in one message at the digest time', async () => {
    await ok(await settings(world.accounts.parent, world.tokens.parent, { digest: true, digestAt: '19:00', channels: ['email'] }), 'digest on');
    sent.d1 = await mark(4);
    sent.d2 = await mark(3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mail.deliveries).toHaveLength(1);
    clock.set('2026-09-07T16:00:05.000Z');
    await until(() => mail.deliveries.length >= 2, 'the digest');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(mail.deliveries).toHaveLength(2);
    const digest = mail.deliveries[1];
    expect(digest.subject).toBe('Сводка за 07.09.2026');
    expect(digest.text).toContain('оценка 4 по предмету «Математика»');
    expect(digest.text).toContain('оценка 3 по предмету «Математика»');
    await ok(await settings(world.accounts.parent, world.tokens.parent, { digest: false, channels: ['email', 'sms'] }), 'digest off');
  });

  it('quiet hours hold a notification; a report voids it before it went: it never goes; the sent ones get «запись аннулирована»', async () => {
    // 19:00:05 in Moscow now.
    await ok(await settings(world.accounts.parent, world.tokens.parent, { quietHours: { from: '18:00', to: '23:00' } }), 'quiet hours');
    const held = await mark(2);
    await until(async () => (await outbox()).some((r) => r.state === 'pending'), 'the held notification');
    const pending = (await outbox()).filter((r) => r.state === 'pending');
    expect(pending).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(mail.deliveries).toHaveLength(2);
    await ok(await settings(world.accounts.parent, world.tokens.parent, { quietHours: null }), 'quiet hours off');

    const report = await ok(
      await client.post(`${s}/incidents`, world.tokens.securityOfficer, { accountId: world.accounts.assignedTeacher, suspectedSince: '2026-09-07T05:59:00.000Z', note: 'пароль утёк' }),
      'report',
    );
    await until(async () => (await outbox()).filter((r) => pending.some((p) => p.id === r.id)).every((r) => r.state === 'cancelled'), 'the held notifications cancelled');
    for (const row of (await outbox()).filter((r) => pending.some((p) => p.id === r.id))) expect(row.outcome).toMatch(/^void: incident /);

    // The mark sent by e-mail and SMS, and the two in the digest: a void notice each.
    await until(() => mail.deliveries.filter((m) => m.subject.startsWith('Запись аннулирована')).length >= 3 && sms.deliveries.length >= 2, 'the void notices');
    const notices = mail.deliveries.filter((m) => m.subject.startsWith('Запись аннулирована'));
    expect(notices.map((m) => m.subject)).toEqual(['Запись аннулирована: Иванов Иван', 'Запись аннулирована: Иванов Иван', 'Запись аннулирована: Иванов Иван']);
    expect(notices.map((m) => m.text.match(/оценка \d/)![0]).sort()).toEqual(['оценка 3', 'оценка 4', 'оценка 5']);
    expect(sms.deliveries[1].text).toMatch(/^Запись аннулирована\./);
    // Received, then recorded and marked: the rows catch up a moment after the messages.
    await until(async () => (await outbox()).filter((r) => r.kind === 'void-notice').every((r) => r.state === 'sent'), 'the notices marked sent');
    const rows = await outbox();
    expect(rows.filter((r) => r.kind === 'void-notice').map((r) => [r.channel, r.corrects !== null]).sort()).toEqual([
      ['email', true],
      ['email', true],
      ['email', true],
      ['sms', true],
    ]);

    // After the quiet hours would have ended: the void mark's notification still never goes.
    clock.set('2026-09-07T20:30:00.000Z');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(mail.unique.some((m) => m.text.includes('оценка 2'))).toBe(false);
    expect(sms.deliveries.some((m) => m.text.includes('оценка 2'))).toBe(false);
    expect(held).toBeTruthy();

    // The incident's review lists what was sent and cannot be unsent.
    const incident = await client.get(`${s}/incidents/${report.id}?atLeast=${position}`, world.tokens.securityOfficer).expect(200);
    const notified = (incident.body.review as { kind: string; summary: string }[]).filter((r) => r.kind === 'notification-sent');
    // The mark by e-mail and SMS, and the two marks of the digest.
    expect(notified).toHaveLength(4);
    expect(notified[0].summary).toContain('запись аннулирована');
  });

  it('a gateway that fails is retried with back-off; one that refuses is given up: NotificationFailed in the log', async () => {
    await ok(await client.post(`${s}/assignments`, world.tokens.deputy, { teacherId: world.accounts.otherTeacher, groupId: world.groupId }), 'a second teacher');
    const other = world.tokens.otherTeacher!;
    const lesson = (await ok(await client.post(`${s}/groups/${world.groupId}/lessons`, other, { date: '2026-09-07', slot: 2, topic: 'Проценты' }), 'lesson 2')).id;
    const smsBefore = sms.deliveries.length;
    sms.status = 503;
    const first = await ok(await client.post(`${s}/lessons/${lesson}/marks`, other, { studentId: world.studentId, value: 4, workKind: 'oral' }), 'mark while the gateway is down');
    const smsRow = async (eventId: string) => (await outbox()).find((r) => r.channel === 'sms' && r.sourceEventId === eventId);
    const event = await eventOfMark(first.id);
    await until(async () => (await smsRow(event))?.outcome === 'the SMS gateway answered 503', 'a failed attempt');
    expect(await smsRow(event)).toMatchObject({ state: 'pending' });
    sms.status = 200;
    clock.advance(5_000);
    await until(async () => (await smsRow(event))?.state === 'sent', 'the retry');
    expect(sms.deliveries.length).toBe(smsBefore + 1);

    sms.status = 400;
    const refused = await ok(await client.post(`${s}/lessons/${lesson}/marks`, other, { studentId: world.studentId, value: 5, workKind: 'oral' }), 'mark the gateway refuses');
    const refusedEvent = await eventOfMark(refused.id);
    await until(async () => (await smsRow(refusedEvent))?.state === 'failed', 'the notification given up');
    sms.status = 200;
    const failedEvents = async () => (await client.get(`${s}/audit/events?type=NotificationFailed`, world.tokens.director).expect(200)).body.items as { data: { notificationId: string; reason: string } }[];
    await until(async () => (await failedEvents()).length > 0, 'NotificationFailed in the raw log');
    const failed = await failedEvents();
    expect(failed.map((e) => e.data)).toEqual([expect.objectContaining({ notificationId: (await smsRow(refusedEvent))!.id, reason: 'the SMS gateway answered 400' })]);
    expect(JSON.stringify(failed)).not.toContain('+7916');
  });

  it('a notification recorded as sent but not marked (a worker killed between the two) is settled from the log, not sent again', async () => {
    const pool = subject.app.get<Database>(DATABASE).pool;
    // A notification sent alone (a digest's members carry the digest's id at the receiver).
    const sentRow = (await outbox()).find((r) => r.state === 'sent' && r.kind === 'news' && r.channel === 'email' && r.digestId === null)!;
    const deliveriesOf = () => mail.deliveries.filter((m) => m.notificationId === sentRow.id).length;
    await until(() => deliveriesOf() === 1, 'its one delivery');
    await pool.query(`UPDATE notification_outbox SET state = 'pending', sent_at = NULL, attempts = 1, due_at = $2 WHERE id = $1`, [sentRow.id, clock.now().toISOString()]);
    await until(async () => (await outbox()).find((r) => r.id === sentRow.id)!.state === 'sent', 'the notification settled');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(deliveriesOf()).toBe(1);
  });

  it('/metrics and /health show the queue', async () => {
    const scrape = await request(subject.server).get('/metrics').expect(200);
    expect(scrape.text).toMatch(/^zhurnal_notifications_queue_depth \d+$/m);
    expect(scrape.text).toMatch(/^zhurnal_notifications_oldest_due_seconds \d+$/m);
    expect(scrape.text).toMatch(/zhurnal_notifications_total\{channel="email",outcome="sent"\} [1-9]/);
    await until(async () => (await request(subject.server).get('/health')).body.details.notifications.queueDepth === 0, 'an empty queue');
    const health = await request(subject.server).get('/health').expect(200);
    expect(health.body.details.notifications).toMatchObject({ status: 'up', queueDepth: 0, oldestDueSeconds: 0, failed: 1, channels: { email: 'configured', sms: 'configured' } });
  });
});
