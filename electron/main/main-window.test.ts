import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { menuTemplate } from './app-menu';
import { createMainWindow } from './main-window';
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
});

describe('menuTemplate()', () => {
  const actions = { exportCsv: vi.fn(), startCapture: vi.fn(), stopCapture: vi.fn() };

  function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
    return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])]);
  }

  it('offers devtools only when not packaged', () => {
    const dev = flatten(menuTemplate(actions, { packaged: false, platform: 'linux' }));
    const packaged = flatten(menuTemplate(actions, { packaged: true, platform: 'linux' }));
    expect(dev.some((i) => i.role === 'toggleDevTools')).toBe(true);
    expect(packaged.some((i) => i.role === 'toggleDevTools')).toBe(false);
    expect(packaged.some((i) => i.role === 'reload')).toBe(true);
  });

  it('wires File and Capture items to their actions', () => {
    const items = flatten(menuTemplate(actions, { packaged: true, platform: 'linux' }));
    const click = (label: string): void => {
      const item = items.find((i) => i.label === label);
      expect(item, label).toBeDefined();
      (item?.click as () => void)();
    };
    click('Export CSV…');
    click('Start');
    click('Stop');
    expect(actions.exportCsv).toHaveBeenCalledTimes(1);
    expect(actions.startCapture).toHaveBeenCalledTimes(1);
    expect(actions.stopCapture).toHaveBeenCalledTimes(1);
    expect(items.some((i) => i.role === 'quit')).toBe(true);
  });
});
