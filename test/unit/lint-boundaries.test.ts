/**
 * The folder boundaries in eslint.config.mjs fire: small sources that break each one, linted with ESLint's
 * Node API under the path they would have (no file is written), and clean ones that pass.
 */
import { resolve } from 'node:path';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
let eslint: ESLint;

beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** `rule: message` for every problem ESLint reports in `code` as if it were `filePath`. */
async function problems(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** ESLint's report of a restricted import of `specifier`, ending with our `message`. */
const restricted = (specifier: string, message: string) =>
  expect.stringMatching(
    new RegExp(
      `^no-restricted-imports: '${escape(specifier)}' import is restricted from being used( by a pattern)?\\. ${escape(message)}$`,
    ),
  );

const ELECTRON = 'Only electron/main and electron/preload may import electron.';
const WINDOW_CODE =
  'electron/main and electron/preload are Electron-only: the engine, the service and shared/ know no window.';
const RENDERER = 'renderer/ is the UI: the engine, the service and shared/ never import it.';
const NODE = 'Node built-ins are not available here (shared/ and renderer/ run in the browser too).';
const REACT = 'shared/ is runtime-free: no React.';

/** [file, one import that breaks a boundary there, what the message says]. */
const broken: [string, string, string][] = [
  ['electron/engine/x.ts', "import { app } from 'electron';", ELECTRON],
  ['electron/engine/x.ts', "import { app } from 'electron/main';", ELECTRON],
  ['electron/engine/dns/x.ts', "import { appPaths } from '../../main/app-paths';", WINDOW_CODE],
  ['electron/engine/x.ts', "import { PRELOAD } from '../preload/index';", WINDOW_CODE],
  [
    'electron/engine/capture/x.ts',
    "import { formatRate } from '../../../renderer/src/lib/format';",
    RENDERER,
  ],
  ['electron/headless/x.ts', "import { BrowserWindow } from 'electron';", ELECTRON],
  ['electron/headless/x.ts', "import { trustWindow } from '../main/ipc/trusted-windows';", WINDOW_CODE],
  ['shared/x.ts', "import { ipcMain } from 'electron';", ELECTRON],
  ['shared/watch/x.ts', "import { isAppUrl } from '../../electron/main/app-origin';", WINDOW_CODE],
  ['shared/x.ts', "import { formatRate } from '../renderer/src/lib/format';", RENDERER],
  ['shared/x.ts', "import { readFileSync } from 'fs';", NODE],
  ['shared/x.ts', "import { readFile } from 'fs/promises';", NODE],
  ['shared/x.ts', "import { join } from 'node:path';", NODE],
  ['shared/x.ts', "import { useState } from 'react';", REACT],
  ['shared/x.ts', "import { jsx } from 'react/jsx-runtime';", REACT],
  ['shared/x.ts', "import { createRoot } from 'react-dom/client';", REACT],
  ['renderer/src/lib/x.ts', "import { createHash } from 'crypto';", NODE],
  ['renderer/src/lib/x.ts', "import { Buffer } from 'node:buffer';", NODE],
  ['renderer/src/x.tsx', "import { ipcRenderer } from 'electron';", ELECTRON],
];

describe('no-restricted-imports keeps the folders apart', () => {
  it.each(broken)('%s: %s', async (file, source, message) => {
    const [, name, specifier] = /import \{ (\w+) \} from '([^']+)'/.exec(source)!;
    expect(await problems(file, `${source}\nexport const used = ${name};\n`)).toEqual([
      restricted(specifier!, message),
    ]);
  });

  it('a type-only import is a dependency too', async () => {
    const code = "import type { Stats } from 'node:fs';\nexport type S = Stats;\n";
    expect(await problems('shared/x.ts', code)).toEqual([restricted('node:fs', NODE)]);
  });

  it('passes what each folder may use', async () => {
    const clean: [string, string][] = [
      ['shared/x.ts', "import { z } from 'zod';\nexport const name = z.string();\n"],
      [
        'electron/engine/x.ts',
        "import { readFile } from 'node:fs/promises';\nimport type { Config } from '@shared/config';\n" +
          'export const read = (c: Config) => readFile(String(c));\n',
      ],
      [
        'electron/engine/dns/x.ts',
        "import { parseSs } from '../setup/sockets';\nexport const p = parseSs;\n",
      ],
      ['electron/main/x.ts', "import { app } from 'electron';\nexport const a = app;\n"],
      ['renderer/src/x.tsx', "import { useState } from 'react';\nexport const u = useState;\n"],
    ];
    for (const [file, code] of clean) expect(await problems(file, code), file).toEqual([]);
  });
});

describe('raw IPC stays inside the typed wrappers', () => {
  it('webContents.send outside electron/main/ipc', async () => {
    const code =
      "declare const win: { webContents: { send(c: string): void } };\nwin.webContents.send('x');\n";
    expect(await problems('electron/main/x.ts', code)).toEqual([
      'no-restricted-syntax: Send to the renderer through electron/main/ipc only.',
    ]);
    expect(await problems('electron/main/ipc/x.ts', code)).toEqual([]);
  });

  it('ipcRenderer and ipcMain outside the wrappers and the preload script', async () => {
    const main = await problems(
      'electron/main/x.ts',
      "import { ipcMain } from 'electron';\nipcMain.on('x', () => {});\n",
    );
    expect(main.length).toBeGreaterThan(0);
    expect(new Set(main)).toEqual(
      new Set(['no-restricted-syntax: Register handlers through electron/main/ipc.']),
    );
    const preload = "import { ipcRenderer } from 'electron';\nipcRenderer.send('x');\n";
    expect(await problems('electron/preload/x.ts', preload)).toEqual([]);
    expect(new Set(await problems('electron/engine/x.ts', preload))).toEqual(
      new Set([restricted('electron', ELECTRON), 'no-restricted-syntax: Use the preload bridge.']),
    );
  });
});
