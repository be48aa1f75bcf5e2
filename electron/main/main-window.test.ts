import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createMainWindow, revealWindow } from './main-window';
import type { FakeBrowserWindow } from './testing/fake-electron';
import { app, screen } from './testing/fake-electron';

vi.mock('electron', () => import('./testing/fake-electron'));

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dns-witness-main-window-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('createMainWindow()', () => {
  it('opens an isolated, sandboxed window on app://dns-witness and remembers where it was', async () => {
    const placementFile = join(dir, 'window-state.json');
    const win = createMainWindow({
      preload: '/app/out/preload/index.cjs',
      placementFile,
    }) as unknown as FakeBrowserWindow;
    const prefs = win.options['webPreferences'] as Record<string, unknown>;
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    });
    expect(win.loadedUrls).toEqual(['app://dns-witness/index.html']);
    expect(win.options['show']).toBe(false);
    win.emit('ready-to-show');
    expect(win.shown).toBe(true);

    win.close();
    const saved = JSON.parse(await readFile(placementFile, 'utf8')) as Record<string, unknown>;
    expect(saved).toMatchObject({ width: 1280, height: 820, maximized: false });

    // The next window opens where this one was, since that spot is on the (fake) display.
    const again = createMainWindow({ preload: '/p.cjs', placementFile }) as unknown as FakeBrowserWindow;
    expect(again.options).toMatchObject({ x: saved['x'], y: saved['y'], width: 1280, height: 820 });
    expect(screen.getAllDisplays).toHaveBeenCalled();
  });

  it('turns devtools off in packaged builds', () => {
    const placementFile = join(dir, 'window-state.json');
    const prefs = (w: unknown) =>
      (w as FakeBrowserWindow).options['webPreferences'] as Record<string, unknown>;
    expect(prefs(createMainWindow({ preload: '/p.cjs', placementFile })).devTools).toBe(true);
    app.isPackaged = true;
    try {
      expect(prefs(createMainWindow({ preload: '/p.cjs', placementFile })).devTools).toBe(false);
    } finally {
      app.isPackaged = false;
    }
  });

  it('loads the renderer dev server instead of app:// under npm run dev', () => {
    const win = createMainWindow({
      preload: '/p.cjs',
      placementFile: join(dir, 'window-state.json'),
      devServer: 'http://localhost:5173',
    }) as unknown as FakeBrowserWindow;
    expect(win.loadedUrls).toEqual(['http://localhost:5173/']);
  });
});

describe('revealWindow()', () => {
  it('brings back a window hidden in the tray or minimised, and focuses it', () => {
    const win = createMainWindow({ preload: '/p.cjs', placementFile: join(dir, 'w.json') });
    const fake = win as unknown as FakeBrowserWindow;
    fake.emit('ready-to-show');
    fake.minimize();
    fake.hide();
    expect(fake.isVisible()).toBe(false);
    revealWindow(win);
    expect({ visible: fake.isVisible(), minimized: fake.isMinimized(), focused: fake.isFocused() }).toEqual({
      visible: true,
      minimized: false,
      focused: true,
    });
    fake.close();
    expect(() => revealWindow(win)).not.toThrow();
  });
});
