import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'checker/dist/**', 'checker/schema-validator.js', 'checker/web/dist/**', 'certificates/**', 'models/**', 'reports/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // The trusted checker imports nothing from the prover, and holds no float arithmetic on reals.
    files: ['checker/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/src/**', '../src/*', '../../src/*'], message: 'checker/ must not import from src/' }, { group: ['webgpu', 'decimal.js'], message: 'not allowed in the trusted checker' }] }],
      'no-restricted-globals': ['error', { name: 'parseFloat', message: 'no floats in the checker' }],
      'no-restricted-properties': ['error', { object: 'Number', property: 'parseFloat', message: 'no floats in the checker' }, { object: 'Math', property: 'exp', message: 'no floats in the checker' }, { object: 'Math', property: 'sqrt', message: 'no floats in the checker' }, { object: 'Math', property: 'log', message: 'no floats in the checker' }],
      // Every function an auditor reads at once: at most 65 lines of code, comments and blank lines aside.
      'max-lines-per-function': ['error', { max: 65, skipBlankLines: true, skipComments: true }],
    },
  },
);
