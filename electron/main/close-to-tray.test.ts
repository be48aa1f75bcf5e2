import type { BrowserWindow } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { hiddenToTrayNotice, oneTimeTrayNotice, setupCloseToTray } from './close-to-tray';
import { FakeBrowserWindow, FakeNotification } from './testing/fake-electron';

vi.mock('electron', () => import('./testing/fake-electron'));

beforeEach(() => {
  FakeNotification.shown.length = 0;
  FakeNotification.supported = true;
});

function windowWith(state: { quitting: boolean; keepRunning: boolean }, notice: () => void) {
  const win = new FakeBrowserWindow();
  win.show();
  setupCloseToTray(win as unknown as BrowserWindow, {
    quitting: () => state.quitting,
    keepRunning: () => state.keepRunning,
    notice,
  });
  return win;
}

describe('close to tray', () => {
  it('hides the window while capturing and says so once per run', () => {
    const state = { quitting: false, keepRunning: true };
    const notice = oneTimeTrayNotice('linux');
    const win = windowWith(state, notice);
    win.close();
    expect(win.isDestroyed()).toBe(false);
    expect(win.isVisible()).toBe(false);
    win.show();
    win.close();
    expect(win.isDestroyed()).toBe(false);
    // A second window of the same run (reopened from the tray) does not repeat it either.
    windowWith(state, notice).close();
    expect(FakeNotification.shown.map((n) => n.options)).toEqual([hiddenToTrayNotice('linux')]);
    expect(FakeNotification.shown[0]?.options.body).toBe(
      'DNS Witness keeps capturing in the tray; quit from the tray menu to stop.',
    );
    expect(hiddenToTrayNotice('darwin').body).toContain('menu bar');
  });

  it('closes for real when quitting, when not capturing, or without a tray', () => {
    const notice = vi.fn();
    const quitting = windowWith({ quitting: true, keepRunning: true }, notice);
    quitting.close();
    expect(quitting.isDestroyed()).toBe(true);
    const idle = windowWith({ quitting: false, keepRunning: false }, notice);
    idle.close();
    expect(idle.isDestroyed()).toBe(true);
    expect(notice).not.toHaveBeenCalled();
  });

  it('hides quietly where the system has no notifications', () => {
    FakeNotification.supported = false;
    const win = windowWith({ quitting: false, keepRunning: true }, oneTimeTrayNotice('win32'));
    win.close();
    expect(win.isVisible()).toBe(false);
    expect(FakeNotification.shown).toHaveLength(0);
  });
});
