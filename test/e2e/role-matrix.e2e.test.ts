import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { api, SchoolWorld } from '../support/school-fixture';
import { COLUMNS, MatrixSpares, refusalStatus, renderRoleMatrix, ROLE_MATRIX } from './role-matrix';
import { startMatrixWorld } from './role-matrix-spares';

describe(`role matrix: every route × every person (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let world: SchoolWorld;
  let spares: MatrixSpares;

  beforeAll(async () => {
    ({ subject, world, spares } = await startMatrixWorld());
  });
  afterAll(async () => subject?.close());

  it('docs/roles.md is the matrix the tests prove', () => {
    expect(readFileSync(join(__dirname, '../../docs/roles.md'), 'utf8')).toBe(renderRoleMatrix());
  });

  describe.each(ROLE_MATRIX.map((row) => [row.route, row] as const))('%s', (_, row) => {
    it.each(COLUMNS.map(({ person, label }, cell) => [label, person, cell] as const))('%s', async (_label, person, cell) => {
      const { method, path, body } = row.request(world, spares, cell);
      const client = api(subject.server);
      const token = world.tokens[person];
      const response = method === 'get' ? await client.get(path, token) : await client.post(path, token, body);
      if (row.allowed.includes(person)) {
        if (response.status >= 300) throw new Error(`${person} should be allowed: ${response.status} ${JSON.stringify(response.body)}`);
      } else {
        expect({ status: response.status, code: response.body.code }).toEqual({
          status: refusalStatus(row, person),
          code: { 401: 'UNAUTHENTICATED', 403: 'FORBIDDEN', 404: 'NOT_FOUND' }[refusalStatus(row, person)],
        });
        if (response.status === 403) expect(response.body.message.length).toBeGreaterThan(10);
      }
    });
  });
});
