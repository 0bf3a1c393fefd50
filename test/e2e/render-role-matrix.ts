// `npm run docs:roles`: writes docs/roles.md from the matrix the e2e test proves.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderRoleMatrix } from './role-matrix';

writeFileSync(join(__dirname, '../../docs/roles.md'), renderRoleMatrix());
process.stdout.write('docs/roles.md written\n');
