import { SELF_DECLARED_DEPS_METADATA } from '@nestjs/common/constants';
import { hkdfSync } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { Client } from 'pg';
import request from 'supertest';
import { IDEMPOTENCY_KEY, KEY_PURPOSES, loadMasterSecret, MASTER_SECRET_SETTING, SIGNING_KEY } from '../../src/auth/service-keys';
import { ServiceMasterSecret1763900000031 } from '../../src/database/migrations/1763900000031-service-master-secret';
import { Database, DATABASE } from '../../src/database/database';
import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { IdempotencyInterceptor } from '../../src/operations/idempotency.interceptor';
import { startTestApp, TestApp } from '../support/app';
import { openTestDatabase, TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD } from '../support/school-fixture';

const MASTER = 'a-master-secret-of-at-least-32-characters!';
/** HKDF-SHA256 as the service derives its keys, computed here independently. */
const derived = (master: string, info: string) => Buffer.from(hkdfSync('sha256', master, 'zhurnal-service-keys', info, 32));

/** Verifies a token with the given key, as any holder of that key could. */
const verifyWith = (token: string, secret: string | Buffer) => new JwtService().verify(token, { secret, algorithms: ['HS256'] });

const signIn = async (subject: TestApp) =>
  (await request(subject.server).post('/api/v1/auth/login').send({ login: 'admin', password: ADMIN_PASSWORD }).expect(200)).body.accessToken as string;

describe(`secrets: one key per purpose, derived from one master secret (${TEST_DATABASE_KIND})`, () => {
  it.each([['SERVICE_SECRET'], ['JWT_SECRET']])('derives from %s a key to sign tokens and another for the idempotency records, neither the secret itself', async (setting) => {
    const subject = await startTestApp({ env: { ADMIN_PASSWORD, [setting]: MASTER } });
    try {
      const token = await signIn(subject);
      expect(() => verifyWith(token, MASTER)).toThrow('invalid signature');
      expect(verifyWith(token, derived(MASTER, KEY_PURPOSES.tokenSigning))).toMatchObject({ sub: expect.any(String) });
      const signing = subject.app.get<Buffer>(SIGNING_KEY);
      const idempotency = subject.app.get<Buffer>(IDEMPOTENCY_KEY);
      expect(signing.equals(derived(MASTER, KEY_PURPOSES.tokenSigning))).toBe(true);
      expect(idempotency.equals(derived(MASTER, KEY_PURPOSES.idempotency))).toBe(true);
      expect(idempotency.equals(signing)).toBe(false);
      // The interceptor is handed that key, not the signing key.
      const injected = (Reflect.getMetadata(SELF_DECLARED_DEPS_METADATA, IdempotencyInterceptor) as { param: unknown }[]).map((dep) => dep.param);
      expect(injected).toContain(IDEMPOTENCY_KEY);
      expect(injected).not.toContain(SIGNING_KEY);
    } finally {
      await subject.close();
    }
  });

  it('without a secret makes a master on first start and keeps it (the embedded convenience), never a signing key in clear', async () => {
    const subject = await startTestApp({ env: { ADMIN_PASSWORD } });
    try {
      const token = await signIn(subject);
      const { rows } = await subject.app.get<Database>(DATABASE).pool.query<{ key: string; value: string }>(`SELECT key, value FROM service_setting`);
      expect(rows.map((row) => row.key)).toEqual([MASTER_SECRET_SETTING]);
      const master = rows[0].value;
      expect(() => verifyWith(token, master)).toThrow('invalid signature');
      verifyWith(token, derived(master, KEY_PURPOSES.tokenSigning));
    } finally {
      await subject.close();
    }
  });
});

describe(`an embedded deployment of before, with its signing key kept in the database (${TEST_DATABASE_KIND})`, () => {
  it('keeps that value as its master (under the new name), so no signing key is left in clear beside it', async () => {
    const db = await openTestDatabase();
    try {
      const { pool, dataSource } = db.database;
      await pool.query(`INSERT INTO service_setting (key, value) VALUES ('jwt-signing-key', 'the-old-signing-key')`);
      const runner = dataSource.createQueryRunner();
      try {
        await new ServiceMasterSecret1763900000031().up(runner);
      } finally {
        await runner.release();
      }
      expect(await loadMasterSecret(db.database, undefined)).toBe('the-old-signing-key');
      expect((await pool.query<{ key: string }>(`SELECT key FROM service_setting`)).rows).toEqual([{ key: MASTER_SECRET_SETTING }]);
    } finally {
      await db.close();
    }
  });
});

describe(`/health tells what is down in plain words, never the database's own text (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  beforeAll(async () => (subject = await startTestApp()));
  afterAll(async () => subject?.close());

  it('answers 503 with a plain reason when the store does not answer', async () => {
    const store = subject.app.get<EventStore>(EVENT_STORE);
    const ping = store.ping.bind(store);
    // What a driver says when the database refuses: host, user and database names an outsider should not read.
    store.ping = () => Promise.reject(new Error('password authentication failed for user "zhurnal" (10.20.30.40:5432, database zhurnal_prod)'));
    try {
      const health = await request(subject.server).get('/health').expect(503);
      expect(health.body.error.store).toEqual({ status: 'down', kind: TEST_DATABASE_KIND, reason: 'The event store does not answer.' });
      expect(JSON.stringify(health.body)).not.toMatch(/password|zhurnal_prod|10\.20\.30\.40/);
    } finally {
      store.ping = ping;
    }
  });

  const onPostgres = TEST_DATABASE_KIND === 'postgres' ? it : it.skip;
  if (TEST_DATABASE_KIND !== 'postgres') process.stdout.write('secrets: the real refused-connection case of /health runs on PostgreSQL only (set DATABASE_URL).\n');

  onPostgres('answers 503 without the driver text when the database really refuses connections', async () => {
    const name = (await subject.app.get<Database>(DATABASE).pool.query<{ name: string }>(`SELECT current_database() AS name`)).rows[0].name;
    const admin = new Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
      let health = await request(subject.server).get('/health');
      for (let i = 0; i < 100 && health.body?.info?.store?.status === 'up'; i++) health = await request(subject.server).get('/health');
      expect({ status: health.status, body: health.body }).toMatchObject({ status: 503 });
      expect(health.body.error.store).toEqual({ status: 'down', kind: 'postgres', reason: 'The event store does not answer.' });
      expect(JSON.stringify(health.body)).not.toContain(name);
      expect(JSON.stringify(health.body)).not.toMatch(/accepting connections|terminat|ECONN/);
    } finally {
      await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      await admin.end();
    }
  });
});

describe(`/metrics limited by METRICS_TOKEN and METRICS_ALLOW (${TEST_DATABASE_KIND})`, () => {
  const TOKEN = 'a-scraper-token-for-tests';

  // Open by default: test/e2e/operations.e2e.test.ts scrapes it with no setting.

  it('with METRICS_ALLOW serves only clients in the ranges (403 otherwise), not believing X-Forwarded-For without TRUST_PROXY', async () => {
    const subject = await startTestApp({ env: { METRICS_ALLOW: '10.0.0.0/8, fd00::/8' } });
    try {
      const refused = await request(subject.server).get('/metrics').expect(403);
      expect(refused.body.code).toBe('FORBIDDEN');
      await request(subject.server).get('/metrics').set('X-Forwarded-For', '10.1.2.3').expect(403);
      // Only /metrics: health stays open.
      await request(subject.server).get('/health').expect(200);
    } finally {
      await subject.close();
    }
  });

  it('with METRICS_TOKEN wants that bearer token (401 otherwise); with METRICS_ALLOW too, both must hold, by the address TRUST_PROXY gives', async () => {
    const subject = await startTestApp({ env: { METRICS_ALLOW: '10.0.0.0/8', TRUST_PROXY: 'loopback', METRICS_TOKEN: TOKEN } });
    const inRange = () => request(subject.server).get('/metrics').set('X-Forwarded-For', '10.1.2.3');
    try {
      const none = await inRange().expect(401);
      expect(none.body.code).toBe('UNAUTHENTICATED');
      expect(none.headers['www-authenticate']).toBe('Bearer');
      await inRange().set('Authorization', `Bearer ${TOKEN}x`).expect(401);
      await inRange().set('Authorization', `Basic ${TOKEN}`).expect(401);
      const scraped = await inRange().set('Authorization', `Bearer ${TOKEN}`).expect(200);
      expect(scraped.text).toContain('zhurnal_events_appended_total');
      await request(subject.server).get('/metrics').set('X-Forwarded-For', '192.0.2.1').set('Authorization', `Bearer ${TOKEN}`).expect(403);
    } finally {
      await subject.close();
    }
  });
});
