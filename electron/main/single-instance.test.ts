import type { BrowserWindow } from 'electron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { revealWindow } from './main-window';
import { claimSingleInstance } from './single-instance';
import { app, FakeBrowserWindow } from './testing/fake-electron';

vi.mock('electron', () => import('./testing/fake-electron'));

afterEach(() => {
  app.singleInstance = true;
  app.removeAllListeners('second-instance');
});

describe('claimSingleInstance()', () => {
  it('keeps the lock and brings the hidden window back when the app is opened again', () => {
    const win = new FakeBrowserWindow();
    win.minimize();
    win.hide();
    expect(claimSingleInstance(() => revealWindow(win as unknown as BrowserWindow))).toBe(true);
    app.emit('second-instance', {}, ['dns-witness'], '/home/user', {});
    expect({ visible: win.isVisible(), minimized: win.isMinimized(), focused: win.isFocused() }).toEqual({
      visible: true,
      minimized: false,
      focused: true,
    });
  });

  it('says so when another instance holds the lock, and listens for nothing', () => {
    app.singleInstance = false;
    const focus = vi.fn();
    expect(claimSingleInstance(focus)).toBe(false);
    expect(app.listenerCount('second-instance')).toBe(0);
  });
});
