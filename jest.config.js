// Three tiers share one config: unit specs beside the code, contract/e2e/property suites in test/.
/** @type {import('jest').Config} */
const tsJest = ['ts-jest', { diagnostics: false }];
const common = {
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: { '^.+\\.ts$': tsJest },
  testEnvironment: 'node',
  rootDir: __dirname,
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/projections/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      setupFiles: ['<rootDir>/test/support/env.ts'],
    },
  ],
  testTimeout: 120000,
};
