import type { MenuItemConstructorOptions } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { menuTemplate, setupMenu, SHORTCUTS, type MenuActions } from './app-menu';
import { Menu } from './testing/fake-electron';

vi.mock('electron', () => import('./testing/fake-electron'));

function actions() {
  const action = () => vi.fn<() => void>();
  return {
    exportCsv: action(),
    startCapture: action(),
    stopCapture: action(),
    focusSearch: action(),
  } satisfies MenuActions;
}

function flatten(items: MenuItemConstructorOptions[]): MenuItemConstructorOptions[] {
  return items.flatMap((item) => [item, ...(Array.isArray(item.submenu) ? flatten(item.submenu) : [])]);
}

/** The enabled item a shortcut triggers; fails when none or several carry it. */
function byAccelerator(items: MenuItemConstructorOptions[], accelerator: string): MenuItemConstructorOptions {
  const found = items.filter((i) => i.accelerator === accelerator && i.enabled !== false);
  expect(found, accelerator).toHaveLength(1);
  return found[0] as MenuItemConstructorOptions;
}

function press(items: MenuItemConstructorOptions[], accelerator: string): void {
  (byAccelerator(items, accelerator).click as () => void)();
}

beforeEach(() => {
  Menu.buildFromTemplate.mockClear();
  Menu.setApplicationMenu.mockClear();
});

describe('menuTemplate()', () => {
  it('offers devtools only when not packaged', () => {
    const a = actions();
    const dev = flatten(menuTemplate(a, { packaged: false, platform: 'linux', recording: true }));
    const packaged = flatten(menuTemplate(a, { packaged: true, platform: 'linux', recording: true }));
    expect(dev.some((i) => i.role === 'toggleDevTools')).toBe(true);
    expect(packaged.some((i) => i.role === 'toggleDevTools')).toBe(false);
    expect(packaged.some((i) => i.role === 'reload')).toBe(true);
  });

  it('keeps File, Edit, View and Capture, with Export CSV under File', () => {
    const top = menuTemplate(actions(), { packaged: true, platform: 'linux', recording: false });
    expect(top.map((m) => m.label)).toEqual(['File', 'Edit', 'View', 'Capture']);
    const file = top[0]?.submenu as MenuItemConstructorOptions[];
    expect(file.map((i) => i.label ?? i.role ?? i.type)).toEqual([
      'Export CSV…',
      'separator',
      'close',
      'quit',
    ]);
  });

  it('wires each shortcut to its action: export, find, start or stop, close and quit', () => {
    const a = actions();
    const stopped = flatten(menuTemplate(a, { packaged: true, platform: 'linux', recording: false }));
    press(stopped, 'CmdOrCtrl+E');
    press(stopped, 'CmdOrCtrl+F');
    press(stopped, 'CmdOrCtrl+Shift+S');
    expect(a.exportCsv).toHaveBeenCalledTimes(1);
    expect(a.focusSearch).toHaveBeenCalledTimes(1);
    expect(a.startCapture).toHaveBeenCalledTimes(1);
    expect(a.stopCapture).not.toHaveBeenCalled();
    expect(stopped.find((i) => i.label === 'Stop')?.enabled).toBe(false);

    // While recording the same shortcut stops, and Start is greyed out.
    const recording = flatten(menuTemplate(a, { packaged: true, platform: 'linux', recording: true }));
    press(recording, SHORTCUTS.toggleCapture);
    expect(a.stopCapture).toHaveBeenCalledTimes(1);
    expect(a.startCapture).toHaveBeenCalledTimes(1);
    expect(recording.find((i) => i.label === 'Start')?.enabled).toBe(false);

    expect(byAccelerator(recording, 'CmdOrCtrl+Q').role).toBe('quit');
    expect(byAccelerator(recording, 'CmdOrCtrl+W').role).toBe('close');
  });

  it('never gives two items the same shortcut, on any platform', () => {
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      for (const recording of [false, true]) {
        const items = flatten(menuTemplate(actions(), { packaged: false, platform, recording }));
        const accelerators = items
          .filter((i) => i.accelerator !== undefined)
          .map((i) => String(i.accelerator));
        expect(new Set(accelerators).size, `${platform} ${recording}`).toBe(accelerators.length);
        expect(accelerators).toEqual(
          expect.arrayContaining(
            Object.values(SHORTCUTS).filter((s) => s !== 'CmdOrCtrl+Q' || platform !== 'darwin'),
          ),
        );
      }
    }
  });

  it('leaves Quit to the app menu on macOS', () => {
    const top = menuTemplate(actions(), { packaged: true, platform: 'darwin', recording: true });
    expect(top[0]?.role).toBe('appMenu');
    expect(flatten(top).some((i) => i.role === 'quit')).toBe(false);
  });
});

describe('setupMenu()', () => {
  it('installs the menu and rebuilds it only when the capture starts or stops', () => {
    const update = setupMenu(actions(), false);
    expect(Menu.setApplicationMenu).toHaveBeenCalledTimes(1);
    update(false);
    expect(Menu.setApplicationMenu).toHaveBeenCalledTimes(1);
    update(true);
    expect(Menu.setApplicationMenu).toHaveBeenCalledTimes(2);
    const installed = Menu.setApplicationMenu.mock.calls[1]?.[0];
    const items = flatten(installed?.template ?? []);
    expect(byAccelerator(items, SHORTCUTS.toggleCapture).label).toBe('Stop');
  });
});
