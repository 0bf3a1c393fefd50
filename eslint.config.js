// Flat config: TypeScript's recommended rules, plus the few that keep domain code honest.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { require: 'readonly', module: 'writable', __dirname: 'readonly', process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/domain/**/*.ts', 'projections/**/*.projector.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      // Time comes in as an argument: a clock read inside a decider or projector is a bug.
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'domain code takes time as an argument' },
        { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'domain code takes time as an argument' },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'domain code is deterministic' },
      ],
    },
  },
);
