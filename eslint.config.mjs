// Lint enforces the boundaries in docs/ARCHITECTURE.md: the engine knows no window, the renderer knows
// no transport, shared/ knows no runtime.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

// One `no-restricted-imports` per folder (a later config object would replace, not extend, an earlier one's).
const NODE_MESSAGE = 'Node built-ins are not available here (shared/ and renderer/ run in the browser too).';
const nodeBuiltins = {
  paths: builtinModules.map((name) => ({ name, message: NODE_MESSAGE })),
  patterns: [{ group: ['node:*'], message: NODE_MESSAGE }],
};
const ELECTRON_MESSAGE = 'Only electron/main and electron/preload may import electron.';
const electronPackage = {
  paths: [{ name: 'electron', message: ELECTRON_MESSAGE }],
  patterns: [{ regex: '^electron/', message: ELECTRON_MESSAGE }],
};
// Relative paths only: nothing else reaches these folders (the one alias is @shared).
const windowCode = {
  patterns: [
    {
      regex: '^(\\.\\./)+(electron/)?(main|preload)(/|$)',
      message:
        'electron/main and electron/preload are Electron-only: the engine, the service and shared/ know no window.',
    },
    {
      regex: '^(\\.\\./)+renderer(/|$)',
      message: 'renderer/ is the UI: the engine, the service and shared/ never import it.',
    },
  ],
};
const react = {
  patterns: [{ regex: '^react(-dom)?(/|$)', message: 'shared/ is runtime-free: no React.' }],
};
/** The rule entry for a folder that may use none of `groups`. */
const restrictImports = (...groups) => [
  'error',
  {
    paths: groups.flatMap((g) => g.paths ?? []),
    patterns: groups.flatMap((g) => g.patterns ?? []),
  },
];

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
    rules: { 'no-restricted-imports': restrictImports(electronPackage, windowCode, nodeBuiltins, react) },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': restrictImports(electronPackage, nodeBuiltins),
    },
  },
  {
    files: ['electron/engine/**/*.ts', 'electron/engine-api/**/*.ts', 'electron/headless/**/*.ts'],
    rules: { 'no-restricted-imports': restrictImports(electronPackage, windowCode) },
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
