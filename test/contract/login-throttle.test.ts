import { LOGIN_LIMITS, LoginThrottle } from '../../src/auth/login-throttle';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';

describe(`login throttle on the database (${TEST_DATABASE_KIND})`, () => {
  let db: TestDatabase;
  let throttle: LoginThrottle;
  let t = 1_000_000_000_000;
  const now = () => t;

  beforeAll(async () => {
    db = await openTestDatabase();
    throttle = new LoginThrottle(db.database);
  });
  afterAll(async () => db?.close());
  beforeEach(() => {
    t += 10 * LOGIN_LIMITS.windowMs;
  });

  const wrong = async (login: string, address: string) => {
    const admission = await throttle.admit(login, address, now);
    if (admission.admitted) await throttle.failed(admission.ticket);
    return admission;
  };

  it('given 4 wrong passwords for a login, when a 5th attempt comes, then it is admitted', async () => {
    for (let i = 0; i < 4; i++) expect((await wrong('ivanova', '10.0.0.1')).admitted).toBe(true);
    expect((await wrong('ivanova', '10.0.0.1')).admitted).toBe(true);
  });

  it('given 5 wrong passwords in a minute, then the login is refused until the first leaves the window', async () => {
    const start = t;
    for (let i = 0; i < 5; i++) {
      t = start + i * 1000;
      await wrong('petrova', '10.0.0.1');
    }
    t = start + 5000;
    expect(await throttle.admit('petrova', '10.0.0.9', now)).toEqual({ admitted: false, retryAfterSeconds: 55 });
    expect((await throttle.admit('sidorov', '10.0.0.1', now)).admitted).toBe(true);
    t = start + LOGIN_LIMITS.windowMs + 1;
    expect((await throttle.admit('petrova', '10.0.0.1', now)).admitted).toBe(true);
  });

  it('given 50 wrong passwords from one address across logins, then that address is refused, and the login of the refused attempt keeps its room', async () => {
    for (let i = 0; i < 50; i++) await wrong(`user${i}`, '10.0.0.2');
    expect(await throttle.admit('someone-new', '10.0.0.2', now)).toMatchObject({ admitted: false });
    // The refusal by the address rolled back the slot it had taken in the login's window.
    for (let i = 0; i < 5; i++) expect((await wrong('someone-new', '10.0.0.3')).admitted).toBe(true);
  });

  it('gives a slot back for an attempt that does not count: right passwords never fill the window', async () => {
    for (let i = 0; i < 20; i++) {
      const admission = await throttle.admit('kuznetsova', '10.0.0.4', now);
      expect(admission.admitted).toBe(true);
      if (admission.admitted) await throttle.giveBack(admission.ticket);
    }
    for (let i = 0; i < 5; i++) expect((await wrong('kuznetsova', '10.0.0.4')).admitted).toBe(true);
    expect((await wrong('kuznetsova', '10.0.0.4')).admitted).toBe(false);
  });

  it('records an outcome whose pending slot is already gone without harm: the row stays valid, the window keeps working', async () => {
    const admission = await throttle.admit('lebedev', '10.0.0.8', now);
    if (!admission.admitted) throw new Error('not admitted');
    await throttle.giveBack(admission.ticket);
    await throttle.giveBack(admission.ticket);
    await throttle.failed(admission.ticket);
    const { rows } = await db.database.pool.query<{ pending: unknown[]; failures: unknown[] }>(`SELECT pending, failures FROM login_failure WHERE bucket = 'login:lebedev'`);
    expect(rows.map((row) => ({ pending: row.pending.length, failures: row.failures.length }))).toEqual([{ pending: 0, failures: 1 }]);
    for (let i = 0; i < 4; i++) expect((await wrong('lebedev', '10.0.0.8')).admitted).toBe(true);
    expect((await wrong('lebedev', '10.0.0.8')).admitted).toBe(false);
  });

  it('makes an attempt wait while the window is full of attempts in flight, and admits it once they turn out right', async () => {
    const inFlight = await Promise.all(Array.from({ length: 5 }, () => throttle.admit('popov', '10.0.0.5', now)));
    expect(inFlight.every((a) => a.admitted)).toBe(true);
    const waiting = throttle.admit('popov', '10.0.0.5', now);
    for (const admission of inFlight) if (admission.admitted) await throttle.giveBack(admission.ticket);
    expect((await waiting).admitted).toBe(true);
  });

  it('refuses an attempt that waited on attempts in flight once they turn out wrong', async () => {
    const inFlight = await Promise.all(Array.from({ length: 5 }, () => throttle.admit('orlov', '10.0.0.6', now)));
    const waiting = throttle.admit('orlov', '10.0.0.6', now);
    for (const admission of inFlight) if (admission.admitted) await throttle.failed(admission.ticket);
    expect(await waiting).toEqual({ admitted: false, retryAfterSeconds: 60 });
  });

  it('admits exactly as many of many attempts at once as the window has room for', async () => {
    const admissions = await Promise.all(Array.from({ length: 30 }, () => wrong('volkov', '10.0.0.7')));
    expect(admissions.filter((a) => a.admitted)).toHaveLength(LOGIN_LIMITS.perLogin);
  });
});
