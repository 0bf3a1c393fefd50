import { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { ManualClock } from '../../src/common/clock';
import { startAppOn, startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND, testDatabaseEnv } from '../support/database';
import { ADMIN_PASSWORD } from '../support/school-fixture';

type Server = TestApp['server'];

const login = (server: Server, body: { login: string; password: string }, forwardedFor?: string) => {
  const test = request(server).post('/api/v1/auth/login').send(body);
  return forwardedFor ? test.set('X-Forwarded-For', forwardedFor) : test;
};

/** How many answers had each status, e.g. `{ 401: 5, 429: 15 }`. */
const statuses = (answers: { status: number }[]) => answers.reduce<Record<number, number>>((count, a) => ({ ...count, [a.status]: (count[a.status] ?? 0) + 1 }), {});

describe(`login throttle: counted with its check, in the database (${TEST_DATABASE_KIND})`, () => {
  describe('one instance, TRUST_PROXY off (the default)', () => {
    let subject: TestApp;
    const clock = new ManualClock('2026-11-20T08:00:00.000Z');

    beforeAll(async () => {
      subject = await startTestApp({ env: { ADMIN_PASSWORD }, clock });
    });
    afterAll(async () => subject?.close());

    it('answers exactly 5 of 20 wrong passwords sent at once on one login with 401, the other 15 with 429 and Retry-After', async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => login(subject.server, { login: 'admin', password: `wrong-password-${i}` })));
      expect(statuses(answers)).toEqual({ 401: 5, 429: 15 });
      for (const limited of answers.filter((a) => a.status === 429)) {
        expect(limited.body.code).toBe('TOO_MANY_REQUESTS');
        expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
        expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
      }
      // A correct password is refused too while limited; the limit passes with the window.
      await login(subject.server, { login: 'admin', password: ADMIN_PASSWORD }).expect(429);
      clock.advance(61_000);
      await login(subject.server, { login: 'admin', password: ADMIN_PASSWORD }).expect(200);
    });

    it('does not count successful logins or malformed bodies', async () => {
      clock.advance(61_000);
      await Promise.all(Array.from({ length: 8 }, () => login(subject.server, { login: 'admin', password: ADMIN_PASSWORD }).expect(200)));
      await request(subject.server).post('/api/v1/auth/login').send({ login: 'admin' }).expect(400);
      for (let i = 0; i < 5; i++) await login(subject.server, { login: 'admin', password: `wrong-${i}` }).expect(401);
      await login(subject.server, { login: 'admin', password: `wrong-5` }).expect(429);
    });

    it('ignores X-Forwarded-For: 60 wrong passwords on 60 logins "from" 60 addresses are one client, limited at 50', async () => {
      clock.advance(61_000);
      const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => login(subject.server, { login: `nobody-${i}`, password: 'wrong-password' }, `203.0.113.${i + 1}`)));
      expect(statuses(answers)).toEqual({ 401: 50, 429: 10 });
      clock.advance(61_000);
    });
  });

  describe('TRUST_PROXY set', () => {
    let subject: TestApp;
    const clock = new ManualClock('2026-11-20T08:00:00.000Z');

    beforeAll(async () => {
      subject = await startTestApp({ env: { ADMIN_PASSWORD, TRUST_PROXY: '127.0.0.1' }, clock });
    });
    afterAll(async () => subject?.close());

    it('takes the client address from X-Forwarded-For sent by the trusted proxy: 60 clients behind it are 60 buckets', async () => {
      const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => login(subject.server, { login: `nobody-${i}`, password: 'wrong-password' }, `203.0.113.${i + 1}`)));
      expect(statuses(answers)).toEqual({ 401: 60 });
    });

    it('still limits one client behind the proxy at 50 wrong passwords a minute', async () => {
      clock.advance(61_000);
      const answers = await Promise.all(Array.from({ length: 55 }, (_, i) => login(subject.server, { login: `someone-${i}`, password: 'wrong-password' }, '198.51.100.7')));
      expect(statuses(answers)).toEqual({ 401: 50, 429: 5 });
      await login(subject.server, { login: 'someone-else', password: 'wrong-password' }, '198.51.100.8').expect(401);
    });
  });

  describe('two instances on one PostgreSQL database', () => {
    const run = TEST_DATABASE_KIND === 'postgres' ? it : it.skip;
    if (TEST_DATABASE_KIND !== 'postgres') {
      // PGlite is one process's database: two instances cannot share it.
      process.stdout.write('login-throttle: the two-instance case runs on PostgreSQL only (set DATABASE_URL); skipped on PGlite.\n');
    }

    run('share the limit: 10 wrong passwords at each of two instances → exactly 5 answered 401 in all', async () => {
      const database = await testDatabaseEnv();
      const apps: NestFastifyApplication[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          apps.push((await startAppOn(database.env, { env: { ADMIN_PASSWORD } })).app);
        }
        const answers = await Promise.all(
          Array.from({ length: 20 }, (_, i) => login(apps[i % 2].getHttpServer(), { login: 'admin', password: `wrong-password-${i}` })),
        );
        expect(statuses(answers)).toEqual({ 401: 5, 429: 15 });
        await login(apps[1].getHttpServer(), { login: 'admin', password: ADMIN_PASSWORD }).expect(429);
      } finally {
        for (const app of apps) await app.close();
        await database.drop();
      }
    });
  });
});
