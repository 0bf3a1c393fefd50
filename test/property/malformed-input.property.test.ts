import fc from 'fast-check';
import type { TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { api, SchoolWorld } from '../support/school-fixture';
import { MatrixSpares, ROLE_MATRIX } from '../e2e/role-matrix';
import { startMatrixWorld } from '../e2e/role-matrix-spares';

/**
 * Whatever JSON a client sends to any route, as whoever may use it, the answer is never a 5xx,
 * and a 400 names at least one field.
 */
describe(`property: no malformed body gets a 5xx (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let world: SchoolWorld;
  let spares: MatrixSpares;
  beforeAll(async () => {
    ({ subject, world, spares } = await startMatrixWorld());
  });
  afterAll(async () => subject?.close());

  const writeRoutes = ROLE_MATRIX.filter((row) => row.route.startsWith('POST'));

  it('for random bodies on every write route', async () => {
    const client = api(subject.server);
    const body = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(
        fc.constantFrom('name', 'login', 'password', 'roles', 'periods', 'startsOn', 'classId', 'studentIds', 'on', 'fullName', 'yearId', 'before', 'value', 'code', 'field', 'reason', 'studentId', 'periodId'),
        fc.jsonValue(),
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...writeRoutes), body, async (row, payload) => {
        const { path } = row.request(world, spares, 0);
        const person = row.allowed.find((p) => p !== 'noToken') ?? 'admin';
        const response = await client.post(path, world.tokens[person]).set('Content-Type', 'application/json').send(JSON.stringify(payload));
        expect(response.status).toBeLessThan(500);
        if (response.status === 400) expect(response.body.details.length).toBeGreaterThan(0);
      }),
      { numRuns: 300 },
    );
  });

  // The corrections' `before` (issue 13), on otherwise valid bodies: whatever it holds, the answer is
  // a 400 naming a field, a 409 (stale, or another refusal), or a write — never a 5xx.
  const correctionRoutes = writeRoutes.filter((row) => /corrections$|final-marks$/.test(row.route));

  it('for random `before` values on every correction route', async () => {
    expect(correctionRoutes.map((row) => row.route.split('/').slice(-2).join('/'))).toEqual([':lessonId/corrections', ':markId/corrections', ':attendanceId/corrections', ':groupId/final-marks']);
    const client = api(subject.server);
    const before = fc.oneof(fc.jsonValue(), fc.constantFrom(null, 1, 3, 5, '4', 'Н', 'У', 'deferred', 'ОСВ', 'Тема', ['oral'], []));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...correctionRoutes), before, fc.nat(20), async (row, seen, cell) => {
        const { path, body } = row.request(world, spares, cell % 3);
        const person = row.allowed.find((p) => p !== 'noToken')!;
        const response = await client.post(path, world.tokens[person], { ...body, before: seen });
        expect([201, 400, 409]).toContain(response.status);
        if (response.status === 400) expect(response.body.details.length).toBeGreaterThan(0);
      }),
      { numRuns: 200 },
    );
  });
});
