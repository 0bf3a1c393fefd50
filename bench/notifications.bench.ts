import { createServer, Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nodemailer from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { v7 as uuidv7 } from 'uuid';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/app-config';
import type { Actor, NewEvent } from '../src/event-store/envelope';
import { EVENT_STORE, EventStore } from '../src/event-store/event-store.port';
import { journalStream } from '../src/journal/domain/journal.decider';
import { notificationId } from '../src/notifications/domain/notifications';
import { notificationSettingsStream } from '../src/notifications/domain/notification-settings.decider';
import { consentStream } from '../src/parents/domain/consent.decider';
import { schoolStream } from '../src/school/domain/school.decider';
import { Backend, envInt, Section } from './context';
import { latencySummary, ratio, Row } from './report';

/**
 * Issue 17's figures: notifications delivered per second, and the delay from the mark's append to
 * the message at the receiver (p50/p99), through the whole path — the outbox follower reading the
 * log, the worker judging (void? consent? contact?), rendering, sending over SMTP and the SMS
 * webhook on loopback, and writing NotificationSent back. Marks are appended at a steady rate;
 * half the parents also take SMS. The reference: nodemailer alone sending as many messages to the
 * same SMTP server, in the same run.
 */
const MARKS = envInt('BENCH_NOTIFICATION_MARKS', 2_000);
/** Marks a second: a rate the path keeps up with (latency), and one past it (throughput). */
const RATES = [envInt('BENCH_NOTIFICATION_RATE', 50), envInt('BENCH_NOTIFICATION_BURST_RATE', 400)];
const CLASSES = 10;
const STUDENTS = 25;
const ADMIN_PASSWORD = 'bench-admin-password';
/** nodemailer's default pool size, for the service (SMTP_MAX_CONNECTIONS) and the reference alike. */
const SMTP_CONNECTIONS = 5;

/** An SMTP server and an SMS webhook on loopback that note when each notification id arrived. */
class Receivers {
  readonly arrivals = new Map<string, number>();
  private smtp?: SMTPServer;
  private http?: HttpServer;
  smtpUrl = '';
  smsUrl = '';

  async start(): Promise<void> {
    this.smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, callback) => {
        let head = '';
        stream.on('data', (chunk: Buffer) => {
          if (head.length < 4096) head += chunk.toString('latin1');
        });
        stream.on('end', () => {
          const id = /^X-Zhurnal-Notification-Id: (\S+)/im.exec(head)?.[1];
          if (id && !this.arrivals.has(`email:${id}`)) this.arrivals.set(`email:${id}`, performance.now());
          callback();
        });
      },
    });
    this.smtp.on('error', () => undefined);
    await new Promise<void>((resolve) => this.smtp!.listen(0, '127.0.0.1', () => resolve()));
    this.smtpUrl = `smtp://127.0.0.1:${(this.smtp.server.address() as AddressInfo).port}`;
    this.http = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        const id = (JSON.parse(body) as { id: string }).id;
        if (!this.arrivals.has(`sms:${id}`)) this.arrivals.set(`sms:${id}`, performance.now());
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.http!.listen(0, '127.0.0.1', () => resolve()));
    this.smsUrl = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}/sms`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.smtp?.close(() => resolve()) ?? resolve());
    await new Promise<void>((resolve) => this.http?.close(() => resolve()) ?? resolve());
  }
}

interface World {
  schoolId: string;
  groups: string[];
  periodId: string;
  students: string[][];
  parents: Map<string, { parentId: string; sms: boolean }>;
  teacher: Actor;
}

async function writeSchool(store: EventStore): Promise<World> {
  const admin: Actor = { accountId: uuidv7(), role: 'deputy', generation: 1 };
  const teacher: Actor = { accountId: uuidv7(), role: 'teacher', generation: 1 };
  const world: World = { schoolId: uuidv7(), groups: [], periodId: uuidv7(), students: [], parents: new Map(), teacher };
  const meta = (actor: Actor) => ({ schoolId: world.schoolId, actor, correlationId: uuidv7() });
  const subjectId = uuidv7();
  const yearId = uuidv7();
  const structure: NewEvent[] = [
    { type: 'SchoolCreated', data: { schoolId: world.schoolId, name: 'Бенчмарк-школа', timezone: 'Europe/Moscow' } },
    { type: 'YearCreated', data: { yearId, name: '2026/27', startsOn: '2026-09-01', endsOn: '2027-05-31', periods: [{ periodId: world.periodId, name: '1 четверть', startsOn: '2026-09-01', endsOn: '2026-10-25' }], holidays: [] } },
    { type: 'SubjectCreated', data: { subjectId, name: 'Математика' } },
  ];
  for (let c = 0; c < CLASSES; c++) {
    const classId = uuidv7();
    const groupId = uuidv7();
    world.groups.push(groupId);
    world.students.push([]);
    structure.push({ type: 'ClassCreated', data: { classId, yearId, name: `5-${c}`, classTeacherId: teacher.accountId } });
    for (let k = 0; k < STUDENTS; k++) {
      const studentId = uuidv7();
      const parentId = uuidv7();
      world.students[c].push(studentId);
      world.parents.set(studentId, { parentId, sms: k % 2 === 0 });
      structure.push({ type: 'StudentAdmitted', data: { studentId, fullName: `Ученик ${c}-${k}`, classId, birthDate: null, accountId: null } });
      structure.push({ type: 'ParentLinked', data: { studentId, parentId, linkId: uuidv7() } });
    }
    structure.push({ type: 'GroupCreated', data: { groupId, classId, subjectId, name: 'Математика', studentIds: null } });
    structure.push({ type: 'TeacherAssigned', data: { groupId, teacherId: teacher.accountId, assignmentId: uuidv7() } });
  }
  for (let i = 0; i < structure.length; i += 500) await store.append(schoolStream(world.schoolId), i === 0 ? 'no-stream' : i, structure.slice(i, i + 500), meta(admin));
  for (const [studentId, { parentId, sms }] of world.parents) {
    await store.append(consentStream(parentId, studentId), 'no-stream', [{ type: 'ConsentGranted', data: { parentId, studentId, form: 'paper' } }], meta(admin));
    const settings = { parentId, email: `parent-${parentId.slice(-8)}@example.ru`, phone: sms ? '+79160000000' : null, channels: sms ? ['email', 'sms'] : ['email'], kinds: ['mark', 'absence', 'final-mark'], quietHours: null, digest: false, digestAt: '19:00' };
    await store.append(notificationSettingsStream(parentId), 'no-stream', [{ type: 'NotificationSettingsChanged', data: settings }], meta(admin));
  }
  return world;
}

async function runOn(backend: Backend, RATE: number, ctx: Parameters<Section['run']>[0]): Promise<Row[]> {
  const receivers = new Receivers();
  await receivers.start();
  const target = backend === 'PostgreSQL' ? await ctx.createPostgresDatabase() : null;
  let app: NestFastifyApplication | undefined;
  try {
    app = await createApp(
      loadConfig({
        ...(target ? { DATABASE_URL: target.url, DB_POOL_SIZE: '10' } : { DATA_DIR: 'memory://' }),
        ADMIN_PASSWORD,
        LOG_LEVEL: 'silent',
        SMTP_URL: receivers.smtpUrl,
        SMS_WEBHOOK_URL: receivers.smsUrl,
        SMS_WEBHOOK_SECRET: 'bench-secret',
        NOTIFICATIONS_POLL_MS: '20',
        SMTP_MAX_CONNECTIONS: String(SMTP_CONNECTIONS),
      }),
    );
    await app.init();
    const store = app.get<EventStore>(EVENT_STORE);
    const world = await writeSchool(store);
    // One lesson a group, then marks at a steady rate, round the classes.
    const lessons = world.groups.map(() => uuidv7());
    const versions = new Map<string, number>();
    for (const [c, groupId] of world.groups.entries()) {
      const stream = journalStream(groupId, world.periodId);
      await store.append(stream, 'no-stream', [{ type: 'LessonRecorded', data: { groupId, periodId: world.periodId, lessonId: lessons[c], subjectId: '', date: '2026-09-07', slot: 1, topic: 'Дроби', workKinds: ['classwork'], homework: null, taughtBy: world.teacher.accountId, substitutesFor: null, studentIds: world.students[c], dueAt: '2026-09-07T12:00:00.000Z', late: false, homeworkDueAt: '2026-09-07T14:00:00.000Z', homeworkLate: false } }], { schoolId: world.schoolId, actor: world.teacher, correlationId: uuidv7() });
      versions.set(stream, 1);
    }
    const expected = new Map<string, number>();
    const bar = ctx.progress(`notifications (${backend}, ${RATE} marks/s): marks appended`, MARKS);
    const started = performance.now();
    let appended = 0;
    const chains = world.groups.map(() => Promise.resolve());
    for (let i = 0; i < MARKS; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const c = i % CLASSES;
      const studentId = world.students[c][Math.floor(i / CLASSES) % STUDENTS];
      const stream = journalStream(world.groups[c], world.periodId);
      const version = versions.get(stream)!;
      versions.set(stream, version + 1);
      const eventId = uuidv7();
      chains[c] = chains[c].then(async () => {
        const t = performance.now();
        await store.append(stream, version, [{ eventId, type: 'MarkRecorded', data: { groupId: world.groups[c], periodId: world.periodId, markId: uuidv7(), lessonId: lessons[c], lessonDate: '2026-09-07', studentId, value: 2 + (i % 4), workKind: 'oral', weight: 1, dueAt: '2026-09-08T00:00:00.000Z', late: false } }], { schoolId: world.schoolId, actor: world.teacher, correlationId: uuidv7() });
        const parent = world.parents.get(studentId)!;
        expected.set(`email:${notificationId(eventId, parent.parentId, 'email')}`, t);
        if (parent.sms) expected.set(`sms:${notificationId(eventId, parent.parentId, 'sms')}`, t);
        appended++;
        bar.increment();
      });
    }
    await Promise.all(chains);
    const appendSeconds = (performance.now() - started) / 1000;
    const deadline = performance.now() + 10 * 60_000;
    while ([...expected.keys()].some((id) => !receivers.arrivals.has(id)) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    bar.stop();
    const delivered = [...expected].filter(([id]) => receivers.arrivals.has(id));
    const { p50, p99 } = latencySummary(delivered.map(([id, t]) => receivers.arrivals.get(id)! - t));
    const perSecond = (channel: string) => {
      const arrivals = delivered.filter(([id]) => id.startsWith(channel)).map(([id]) => receivers.arrivals.get(id)!);
      return { n: arrivals.length, rate: arrivals.length / ((Math.max(...arrivals) - started) / 1000) };
    };
    const email = perSecond('email:');
    const sms = perSecond('sms:');

    // The reference: nodemailer alone, as many e-mails, the same pool of connections, to the same server.
    const transport = nodemailer.createTransport(receivers.smtpUrl, { pool: true, maxConnections: SMTP_CONNECTIONS } as never);
    const referenceStarted = performance.now();
    const referenceLatencies: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < email.n) {
          const k = next++;
          const t = performance.now();
          await transport.sendMail({ from: 'bench@zhurnal.local', to: 'parent@example.ru', subject: 'Оценка', text: 'Иванов Иван: оценка 5.', headers: { 'X-Zhurnal-Notification-Id': `ref-${k}` } });
          referenceLatencies.push(performance.now() - t);
        }
      }),
    );
    const referenceRate = email.n / ((performance.now() - referenceStarted) / 1000);
    transport.close();
    ctx.note(
      `notifications (${backend}, ${RATE} marks/s): ${appended} marks appended in ${appendSeconds.toFixed(1)} s (${(appended / appendSeconds).toFixed(0)}/s); ${delivered.length} of ${expected.size} notifications arrived (e-mail to every parent, SMS to half); SMS ${sms.rate.toFixed(1)}/s`,
    );
    return [
      {
        backend,
        'marks/s offered': RATE,
        what: 'mark appended → e-mail/SMS at the receiver',
        n: delivered.length,
        'delivered/s': delivered.length / ((Math.max(...delivered.map(([id]) => receivers.arrivals.get(id)!)) - started) / 1000),
        'p50 ms': p50,
        'p99 ms': p99,
        'e-mails/s': email.rate,
        'reference: nodemailer alone, e-mails/s': referenceRate,
        'reference p99 ms': latencySummary(referenceLatencies).p99,
        ratio: ratio(email.rate, referenceRate),
      },
    ];
  } finally {
    await app?.close();
    await receivers.stop();
    await target?.drop();
  }
}

export const notificationsSection: Section = {
  name: 'notifications',
  async run(ctx) {
    const rows: Row[] = [];
    for (const backend of ctx.backends) for (const rate of RATES) rows.push(...(await runOn(backend, rate, ctx)));
    return rows;
  },
};
