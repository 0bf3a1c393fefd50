import { spawn } from 'node:child_process';
import { createServer, get, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { v4 as uuidv4 } from 'uuid';
import { ProjectionRunner } from '../projections/projection-runner';
import { createApp } from '../src/app';
import { EVENT_STORE, EventStore } from '../src/event-store/event-store.port';
import { START } from '../src/event-store/position';
import { loadConfig } from '../src/config/app-config';
import { BenchContext, Section } from './context';
import { compareAsOfSources } from './as-of-sources';
import { formatRatio, ratio, Row } from './report';

const ADMIN_PASSWORD = 'bench-admin-password';
const PASSWORD = 'bench-password-123';
const STUDENTS = 30;
const LESSONS = 60;
const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 20);
const CONNECTIONS = 10;

export interface Cannon {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
}

/** autocannon in its own process (bench/cannon.ts), so it does not take the server's core; each connection goes through `paths` in turn. */
export function cannon(origin: string, paths: string[], token: string, seconds: number, headers: Record<string, string>, connections = CONNECTIONS): Promise<Cannon> {
  const script = join(__dirname, 'cannon.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, JSON.stringify({ origin, paths, token, headers, connections, seconds })], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}`));
      const r = JSON.parse(out) as { requests: { total: number; average: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
      resolve({ requests: r.requests.total, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors });
    });
  });
}

interface Answer {
  id: string;
  position: string;
  recordedAt: string;
  accessToken: string;
  periods: { id: string }[];
}

async function call(base: string, method: string, path: string, token: string | null, body?: object): Promise<Answer> {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = (await response.json()) as Answer;
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** A bare node:http server answering every request with the bytes the service sends a browser for the grid: the client's own floor. */
async function bareServer(base: string, grid: string, token: string, headers: Record<string, string>): Promise<{ server: Server; origin: string; bytes: number }> {
  const { body, encoding } = await new Promise<{ body: Buffer; encoding: string }>((resolve, reject) => {
    get(`${base}${grid}`, { headers: { authorization: `Bearer ${token}`, ...headers } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ body: Buffer.concat(chunks), encoding: String(response.headers['content-encoding'] ?? 'identity') }));
    }).on('error', reject);
  });
  const server = createServer((_request, reply) => {
    reply.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-encoding': encoding, 'content-length': body.length });
    reply.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bytes: body.length };
}

/** A class of 30 with a 60-lesson maths journal, every student marked on every lesson. */
export async function buildJournal(base: string, ctx: BenchContext) {
  const admin = (await call(base, 'POST', '/auth/login', null, { login: 'admin', password: ADMIN_PASSWORD })).accessToken;
  const school = (await call(base, 'POST', '/schools', admin, { name: 'Bench school' })).id;
  const s = `/schools/${school}`;
  const account = async (login: string, roles: string[]) => {
    const id = (await call(base, 'POST', `${s}/accounts`, admin, { login, password: PASSWORD, fullName: login, roles })).id;
    return { id, token: (await call(base, 'POST', '/auth/login', null, { login, password: PASSWORD })).accessToken };
  };
  const deputy = await account('bench-deputy', ['deputy']);
  const teacher = await account('bench-teacher', ['teacher']);
  const year = await call(base, 'POST', `${s}/years`, deputy.token, {
    name: '2026/27',
    startsOn: '2026-09-01',
    endsOn: '2027-05-31',
    periods: [{ name: 'I', startsOn: '2026-09-01', endsOn: '2026-12-28' }],
  });
  const subject = (await call(base, 'POST', `${s}/subjects`, deputy.token, { name: 'Математика' })).id;
  const klass = (await call(base, 'POST', `${s}/classes`, deputy.token, { yearId: year.id, name: '7А', classTeacherId: teacher.id })).id;
  const students: string[] = [];
  for (let i = 0; i < STUDENTS; i++) students.push((await call(base, 'POST', `${s}/students`, deputy.token, { fullName: `Ученик ${String(i).padStart(2, '0')}`, classId: klass })).id);
  const group = (await call(base, 'POST', `${s}/groups`, deputy.token, { classId: klass, subjectId: subject })).id;
  await call(base, 'POST', `${s}/assignments`, deputy.token, { teacherId: teacher.id, groupId: group });
  const progress = ctx.progress('reads: building a 30 × 60 journal', LESSONS * (STUDENTS + 1));
  let position = '0.0';
  /** A moment after each lesson's marks: asOf requests go through them. */
  const moments: string[] = [];
  for (let i = 0; i < LESSONS; i++) {
    const day = new Date(Date.UTC(2026, 8, 1 + Math.floor(i / 2) + 2 * Math.floor(i / 10)));
    const date = day.toISOString().slice(0, 10);
    const lesson = (await call(base, 'POST', `${s}/groups/${group}/lessons`, teacher.token, { date, slot: (i % 2) + 1, topic: `Тема ${i}`, homework: `§ ${i}` })).id;
    progress.increment();
    for (const student of students) {
      const mark = await call(base, 'POST', `${s}/lessons/${lesson}/marks`, teacher.token, { studentId: student, value: ((i + student.length) % 4) + 2, workKind: 'classwork' });
      position = mark.position;
      progress.increment();
      if (student === students[students.length - 1]) moments.push(mark.recordedAt);
    }
  }
  progress.stop();
  return { school, s, group, period: year.periods[0].id, student: students[0], teacher, deputy, position, moments };
}

export const httpReadsSection: Section = {
  name: 'reads',
  async run(ctx) {
    if (!ctx.backends.includes('PostgreSQL')) {
      ctx.note(`reads: skipped, the goals are for PostgreSQL and ${ctx.postgresSkipReason}`);
      return [];
    }
    const target = await ctx.createPostgresDatabase();
    let app: NestFastifyApplication | undefined;
    try {
      app = await createApp(loadConfig({ DATABASE_URL: target.url, ADMIN_PASSWORD, LOG_LEVEL: 'silent', DB_POOL_SIZE: '10' }));
      await app.listen(0, '127.0.0.1');
      const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
      const j = await buildJournal(base, ctx);
      await call(base, 'GET', `${j.s}/groups/${j.group}/journal?periodId=${j.period}&atLeast=${j.position}`, j.teacher.token);
      const asOf = new Date().toISOString();
      const grid = `/api/v1${j.s}/groups/${j.group}/journal?periodId=${j.period}`;
      // What a browser sends: the built views go compressed, once per view version (src/common/json-body.ts).
      const browser = { 'accept-encoding': 'gzip, deflate, br' };
      const identity = { 'accept-encoding': 'identity' };
      const floor = await bareServer(base, grid, j.teacher.token, browser);
      const runs: [string, string, string[], string, Record<string, string>, number | null][] = [
        ['GET /auth/me (reference: auth + one account read)', base, ['/api/v1/auth/me'], j.teacher.token, identity, null],
        [`GET journal ${STUDENTS} students × ${LESSONS} lessons, as a browser asks (Accept-Encoding: gzip, deflate, br)`, base, [grid], j.teacher.token, browser, 20],
        [`GET journal ${STUDENTS} students × ${LESSONS} lessons, uncompressed`, base, [grid], j.teacher.token, identity, null],
        [`reference: the grid's ${Math.round(floor.bytes / 1024)} KiB as sent to a browser, from bare node:http (no framework, auth or view)`, floor.origin, [grid], j.teacher.token, browser, null],
        ['GET diary (one student, one week)', base, [`/api/v1${j.s}/students/${j.student}/diary?weekOf=2026-09-07`], j.deputy.token, browser, 10],
        ['GET journal ?asOf, one moment (after the last mark)', base, [`${grid}&asOf=${asOf}`], j.teacher.token, browser, null],
        [`GET journal ?asOf, ${j.moments.length} moments in turn`, base, j.moments.map((moment) => `${grid}&asOf=${moment}`), j.teacher.token, browser, null],
      ];
      const rows: Row[] = [];
      let reference: Cannon | undefined;
      try {
        for (const [what, origin, paths, token, headers, goal] of runs) {
          const seconds = what.includes('asOf') || what.includes('reference') ? Math.max(5, SECONDS / 2) : SECONDS;
          const r = await cannon(origin, paths, token, seconds, headers);
          reference ??= r;
          const isReference = r === reference;
          rows.push({
            request: what,
            connections: CONNECTIONS,
            seconds,
            requests: r.requests,
            'req/s': Math.round(r.rps),
            'p50 ms': r.p50,
            'p99 ms': r.p99,
            'req/s vs /auth/me': isReference ? '' : formatRatio(ratio(r.rps, reference.rps)),
            'p99 vs /auth/me': isReference ? '' : formatRatio(ratio(r.p99, reference.p99)),
            goal: goal === null ? '' : `p99 < ${goal} ms`,
            met: goal === null ? '' : r.p99 < goal ? 'yes' : 'no',
            'non-2xx': r.non2xx,
          });
        }
      } finally {
        await new Promise((resolve) => floor.server.close(resolve));
      }
      rows.push(...(await readsDuringRebuild(app, ctx, j, grid, browser, rows)));
      rows.push(...(await compareAsOfSources(app, { schoolId: j.school, groupId: j.group, periodId: j.period }, j.moments.map((m) => new Date(m)), Math.max(5, SECONDS / 2), (m) => ctx.note(m))));
      ctx.note('reads: server and autocannon share this 2-core machine; autocannon runs in its own process (bench/cannon.ts). Other engineers may be using the machine too: see the interference line.');
      ctx.note('reads: the bare node:http row sends the grid\'s compressed bytes with no work at all: what autocannon itself can take in on this machine, the floor for the grid rows. Grid JSON is 320 KB; brotli (quality 5) makes it ~25 KB.');
      ctx.note('reads: account and school states come from the in-process cache while known fresh (docs/architecture.md, "Freshness of reads"); grid and diary bodies are sent as serialised once while the views have not moved; no writes run during the measurement.');
      return rows;
    } finally {
      await app?.close();
      await target.drop();
    }
  },
};

/** Copies of the bench journal's events in other groups: a log big enough that rebuilding it takes a while. */
const FILLER_JOURNALS = Number(process.env.BENCH_HTTP_FILLER_JOURNALS ?? 60);

/**
 * Grid and diary reads while the views are rebuilt into a shadow in the same process, as the
 * leader does after a version bump: `reset()` again and again until the measurement ends (each
 * rebuild reads the whole log, ~FILLER_JOURNALS × 1,860 events, and switches reads over when it has
 * caught up: the built views the reads reuse are dropped at every switch).
 */
async function readsDuringRebuild(app: NestFastifyApplication, ctx: BenchContext, j: Awaited<ReturnType<typeof buildJournal>>, grid: string, headers: Record<string, string>, quiet: Row[]): Promise<Row[]> {
  const store = app.get<EventStore>(EVENT_STORE);
  const runner = app.get(ProjectionRunner);
  const journal = (await store.readAll(START, { limit: 100_000 })).filter((e) => e.stream.startsWith('journal-'));
  const progress = ctx.progress('reads: filler journals for the rebuild', FILLER_JOURNALS * journal.length);
  for (let copy = 0; copy < FILLER_JOURNALS; copy++) {
    const groupId = uuidv4();
    const events = journal.map((e) => ({ type: e.type, data: { ...(e.data as object), groupId } }));
    for (let i = 0; i < events.length; i += 500) {
      await store.append(`journal-${groupId}-${j.period}`, i, events.slice(i, i + 500), { schoolId: j.school, actor: journal[0].actor, correlationId: uuidv4() });
      progress.increment(Math.min(500, events.length - i));
    }
  }
  progress.stop();
  const head = await store.head();
  await runner.waitFor(head, 600_000);

  let stop = false;
  let rebuilds = 0;
  let rebuildMs = 0;
  const rebuilding = (async () => {
    while (!stop) {
      const started = performance.now();
      await runner.reset();
      while (!stop && (await runner.status()).rebuilds.length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      if (stop) break;
      rebuilds++;
      rebuildMs += performance.now() - started;
    }
  })();
  const rows: Row[] = [];
  const targets: [string, string, string, string][] = [
    ['GET journal 30 × 60 during a shadow rebuild (browser encoding)', grid, j.teacher.token, `GET journal ${STUDENTS} students`],
    ['GET diary during a shadow rebuild', `/api/v1${j.s}/students/${j.student}/diary?weekOf=2026-09-07`, j.deputy.token, 'GET diary'],
  ];
  try {
    for (const [what, path, token, quietPrefix] of targets) {
      const r = await cannon((await app.getUrl()).replace('[::1]', '127.0.0.1'), [path], token, SECONDS, headers);
      const before = quiet.find((row) => String(row.request).startsWith(quietPrefix));
      rows.push({
        request: what,
        connections: CONNECTIONS,
        seconds: SECONDS,
        requests: r.requests,
        'req/s': Math.round(r.rps),
        'p50 ms': r.p50,
        'p99 ms': r.p99,
        'req/s vs /auth/me': '',
        'p99 vs /auth/me': before ? `${formatRatio(ratio(r.p99, Number(before['p99 ms'])))} of quiet` : '',
        goal: before ? `p99 ≤ quiet (${before['p99 ms']} ms)` : '',
        met: before ? (r.p99 <= Number(before['p99 ms']) ? 'yes' : 'no') : '',
        'non-2xx': r.non2xx,
      });
    }
  } finally {
    stop = true;
    await rebuilding;
  }
  ctx.note(
    `reads during a rebuild: ${(head ? FILLER_JOURNALS * journal.length + journal.length : 0).toLocaleString('en')} events in the log; ${rebuilds} whole rebuilds ran and switched during the two runs ` +
      `(${rebuilds > 0 ? Math.round(rebuildMs / rebuilds).toLocaleString('en') : '-'} ms each, reset to switch), in the server's own process.`,
  );
  return rows;
}
