/** Architecture rules checked in CI: pure domain code, pure projectors, no cycles. */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/**/domain/ is plain TypeScript: no Nest, TypeORM, pg, PGlite, EventStoreDB client or Node I/O.',
      severity: 'error',
      from: { path: '^src/.+/domain/' },
      to: {
        path: [
          '^node_modules/@nestjs/',
          '^node_modules/typeorm',
          '^node_modules/pg',
          '^node_modules/@electric-sql/',
          '^node_modules/@eventstore/',
          '^node_modules/passport',
          '^src/database/',
          '^src/infrastructure/',
        ],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'domain-no-node-io',
      severity: 'error',
      from: { path: '^src/.+/domain/' },
      to: { dependencyTypes: ['core'], path: '^(fs|net|http|https|child_process|dgram|dns|tls|worker_threads|node:fs|node:net|node:http|node:https|node:child_process)' },
    },
    {
      name: 'projectors-are-pure',
      comment: 'Projectors fold events into documents; only the runner touches the database.',
      severity: 'error',
      from: { path: '^projections/.+\\.projector\\.ts$' },
      to: {
        path: ['^node_modules/@nestjs/', '^node_modules/typeorm', '^node_modules/pg', '^node_modules/@electric-sql/', '^src/database/', '^src/infrastructure/'],
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'verifier-is-independent',
      comment: 'The offline verifier is written from the RFC and C2SP texts and shares no code with the service (issue 15).',
      severity: 'error',
      from: { path: '^src/verifier/' },
      to: { path: '^(src|projections)/', pathNot: '^src/verifier/' },
    },
    {
      name: 'ledger-does-not-check-itself',
      comment: "The ledger's writer never uses the verifier's code: a bug shared by both would verify.",
      severity: 'error',
      from: { path: '^src/ledger/' },
      to: { path: '^src/verifier/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: ['\\.spec\\.ts$'] },
  },
};
