// Lint enforces the boundaries in docs/ARCHITECTURE.md: the engine knows no window, the renderer knows
// no transport, shared/ knows no runtime.
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const nodeBuiltins = { group: ['node:*'], message: 'Node built-ins are not available here.' };
const electronImport = {
  name: 'electron',
  message: 'Only electron/main and electron/preload may import electron.',
};

export default tseslint.config(
  {
    ignores: [
      'out/**',
      'dist/**',
      'node_modules/**',
      'test-results/**',
      'playwright-report/**',
      '**/*.mjs',
      '**/*.cjs',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['shared/**/*.{ts,js}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronImport, { name: 'react', message: 'shared/ is runtime-free.' }],
          patterns: [nodeBuiltins],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': ['error', { paths: [electronImport], patterns: [nodeBuiltins] }],
    },
  },
  {
    files: ['electron/engine/**/*.ts', 'electron/engine-api/**/*.ts', 'electron/headless/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [electronImport] }] },
  },
  {
    // Raw IPC only inside the typed wrappers.
    files: ['electron/**/*.ts'],
    ignores: ['electron/main/ipc/**', 'electron/preload/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[property.name='send'][object.property.name='webContents']",
          message: 'Send to the renderer through electron/main/ipc only.',
        },
        { selector: "Identifier[name='ipcRenderer']", message: 'Use the preload bridge.' },
        { selector: "Identifier[name='ipcMain']", message: 'Register handlers through electron/main/ipc.' },
      ],
    },
  },
);
