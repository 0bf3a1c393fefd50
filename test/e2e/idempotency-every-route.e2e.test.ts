import { Database, DATABASE } from '../../src/database/database';
import { TEST_DATABASE_KIND } from '../support/database';
import { api } from '../support/school-fixture';
import { ROLE_MATRIX } from './role-matrix';
import { useMatrixWorld } from './role-matrix-spares';

/**
 * Every write route of the role matrix (so every route added later too), once: its answer cannot
 * be recorded under its Idempotency-Key, and a retry with that key gets the same answer with 200
 * and writes nothing. Only ids repeated by the retry (OperationIds) can make that hold.
 */
describe(`Idempotency-Key on every write route (${TEST_DATABASE_KIND})`, () => {
  const matrix = useMatrixWorld();

  const writes = ROLE_MATRIX.filter((row) => row.route.startsWith('POST') && row.route !== 'POST /auth/login');

  it.each(writes.map((row) => [row.route, row] as const))('%s', async (_, row) => {
    const { subject, world, spares } = matrix;
    const client = api(subject.server);
    const pool = subject.app.get<Database>(DATABASE).pool;
    // Cell 1: cell 0 of some rows restates what is there already (settings, an attendance code), a 400.
    const { path, body } = row.request(world, spares, 1);
    const token = world.tokens[row.allowed.find((person) => person !== 'noToken')!];
    const key = `every-route ${row.route}`;
    const real = pool.query.bind(pool);
    let failed = false;
    const finish = jest.spyOn(pool, 'query').mockImplementation(((sql: string, params?: unknown[]) => {
      if (failed || !/SET state = 'done'/.test(sql)) return real(sql, params);
      failed = true;
      return Promise.reject(new Error('injected: the answer cannot be recorded'));
    }) as typeof pool.query);
    let first;
    try {
      first = await client.post(path, token, body).set('Idempotency-Key', key);
    } finally {
      finish.mockRestore();
    }
    expect({ status: first.status, failed }).toEqual({ status: 201, failed: true });
    // Counted in the table itself: the store's reads stop at the horizon of transactions still running.
    const logged = async () => (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM event_log WHERE type <> 'LedgerCheckpointSigned'`)).rows[0].n;
    const before = await logged();
    const retry = await client.post(path, token, body).set('Idempotency-Key', key);
    expect({ status: retry.status, body: retry.body }).toEqual({ status: 200, body: first.body });
    expect(await logged()).toBe(before);
  });
});
