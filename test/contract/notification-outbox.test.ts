import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { v4 as uuidv4 } from 'uuid';
import { DeliveryError, EmailChannel, SmsWebhookChannel } from '../../src/notifications/channels';
import { NewOutboxRow, OutboxStore } from '../../src/notifications/outbox-store';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';

const T0 = new Date('2026-09-07T06:00:00.000Z');
const LEASE = 60_000;

const row = (overrides: Partial<NewOutboxRow> = {}): NewOutboxRow => ({
  id: uuidv4(),
  schoolId: 's1',
  kind: 'news',
  sourceEventId: uuidv4(),
  sourceStream: 'journal-g-p',
  sourceType: 'MarkRecorded',
  sourceActor: 'teacher-1',
  sourceRecordedAt: T0.toISOString(),
  studentId: 'student-1',
  parentId: 'parent-1',
  channel: 'email',
  corrects: null,
  digestKey: null,
  dueAt: T0,
  createdAt: T0,
  position: '1.0',
  ...overrides,
});

/** The outbox's table rules, on the database itself: leases, recheck requests, void notices. */
describe(`notification outbox store (${TEST_DATABASE_KIND})`, () => {
  let db: TestDatabase;
  let store: OutboxStore;

  beforeAll(async () => {
    db = await openTestDatabase();
    store = new OutboxStore(db.database.pool);
  });
  afterAll(async () => db?.close());

  it('a worker whose lease was taken over writes nothing: the new claim settles the notification', async () => {
    const n = row();
    await store.addVoidNotice(n);
    const [first] = await store.claim(T0, 10, LEASE, ['email']);
    expect(first.id).toBe(n.id);
    // The first worker hangs past its lease; another takes the notification over.
    const later = new Date(T0.getTime() + LEASE + 1);
    const [second] = await store.claim(later, 10, LEASE, ['email']);
    expect(second).toMatchObject({ id: n.id, attempts: 2 });
    expect(second.leaseId).not.toBe(first.leaseId);
    // The first worker's failure lands late: it must not mark the delivered notification failed.
    await store.markSent([n.id], later, second.leaseId!);
    await store.fail([n.id], 'the mail server answered 451', first.leaseId!);
    await store.reschedule([n.id], later, 'retry', true, { leaseId: first.leaseId! });
    expect(await store.get(n.id)).toMatchObject({ state: 'sent', outcome: null });
  });

  it('a recheck requested while one is handled is not deleted with it', async () => {
    await store.requestRecheck(['teacher-2'], '1.0');
    const [request] = (await store.rechecks()).filter((r) => r.accountId === 'teacher-2');
    // A second fact about the account arrives while the worker judges the first.
    await store.requestRecheck(['teacher-2'], '2.0');
    await store.recheckDone(request);
    const left = (await store.rechecks()).filter((r) => r.accountId === 'teacher-2');
    expect(left).toHaveLength(1);
    await store.recheckDone(left[0]);
    expect((await store.rechecks()).filter((r) => r.accountId === 'teacher-2')).toEqual([]);
  });

  it('a digest gets its id only on the members sent in it; one cancelled and brought back joins no digest', async () => {
    const key = 'parent-9:email:2026-09-07';
    const [a, b] = [row({ parentId: 'parent-9', digestKey: key }), row({ parentId: 'parent-9', digestKey: key })];
    await store.addVoidNotice(a);
    await store.addVoidNotice(b);
    const claimed = await store.claim(T0, 1, LEASE, ['email']);
    expect(claimed.map((r) => r.id).sort()).toEqual([a.id, b.id].sort());
    const lease = { leaseId: claimed[0].leaseId! };
    await store.cancel([b.id], 'void: incident i1', lease);
    await store.formDigest([a.id], 'd0000000-0000-4000-8000-000000000001', lease.leaseId);
    expect((await store.get(a.id))!.digestId).toBe('d0000000-0000-4000-8000-000000000001');
    expect((await store.get(b.id))!.digestId).toBeNull();
    await store.reschedule([b.id], T0, 'reinstated', true, 'cancelled');
    expect(await store.get(b.id)).toMatchObject({ state: 'pending', digestId: null });
  });

  it('a recheck cancels only notifications no claim holds (one in flight is its worker’s)', async () => {
    const n = row();
    await store.addVoidNotice(n);
    await store.claim(T0, 10, LEASE, ['email']);
    await store.cancel([n.id], 'void: incident i2', { now: T0 });
    expect(await store.get(n.id)).toMatchObject({ state: 'pending' });
    await store.cancel([n.id], 'void: incident i2', { now: new Date(T0.getTime() + LEASE + 1) });
    expect(await store.get(n.id)).toMatchObject({ state: 'cancelled', outcome: 'void: incident i2' });
  });

  it('a void notice cancelled (its mark reinstated) is due again when the mark becomes void again', async () => {
    const notice = row({ kind: 'void-notice', corrects: uuidv4() });
    expect(await store.addVoidNotice(notice)).toBe(true);
    expect(await store.addVoidNotice(notice)).toBe(false);
    await store.cancel([notice.id], 'reinstated before the notice went', { now: T0 });
    expect(await store.addVoidNotice({ ...notice, dueAt: new Date(T0.getTime() + 5000) })).toBe(true);
    expect(await store.get(notice.id)).toMatchObject({ state: 'pending', outcome: null });
  });
});

/** Which refusals are for good: only the recipient's or the message's; configuration errors are retried. */
describe('notification channels: what is given up at once', () => {
  it('SMTP: 550 to RCPT TO is permanent; 451 to DATA is not', async () => {
    let refuse: 'rcpt' | 'data' = 'rcpt';
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onRcptTo: (_address, _session, callback) => (refuse === 'rcpt' ? callback(Object.assign(new Error('no such mailbox'), { responseCode: 550 })) : callback()),
      onData: (stream, _session, callback) => {
        stream.resume();
        stream.on('end', () => callback(Object.assign(new Error('try later'), { responseCode: 451 })));
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const channel = new EmailChannel(`smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, 'journal@zhurnal.local', 1);
    const attempt = () => channel.send({ id: uuidv4(), to: 'mama@example.ru', subject: 'Оценка', text: '5' }).then(() => null, (error: DeliveryError) => error);
    try {
      expect(await attempt()).toMatchObject({ permanent: true, message: 'the mail server answered 550 to RCPT TO' });
      refuse = 'data';
      expect(await attempt()).toMatchObject({ permanent: false });
    } finally {
      await channel.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('webhook: 400 is permanent; 401, 404, 429 and 503 are retried', async () => {
    let status = 400;
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () => response.writeHead(status).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const channel = new SmsWebhookChannel(`http://127.0.0.1:${(server.address() as AddressInfo).port}/sms`, 'secret');
    const permanence = async (answer: number) => {
      status = answer;
      return channel.send({ id: uuidv4(), to: '+79161234567', subject: '', text: '5' }).then(() => null, (error: DeliveryError) => error.permanent);
    };
    try {
      expect(await permanence(400)).toBe(true);
      for (const answer of [401, 404, 429, 503]) expect(await permanence(answer)).toBe(false);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
