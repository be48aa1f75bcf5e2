import type { BrowserWindow } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ALERT, fakeEngine } from './testing/fake-engine';
import { FakeBrowserWindow, FakeNotification } from './testing/fake-electron';
import { alertNotification, notifyAlert, setupWatchNotifications } from './watch-notifications';

vi.mock('electron', () => import('./testing/fake-electron'));

beforeEach(() => {
  FakeNotification.shown.length = 0;
  FakeNotification.supported = true;
});

describe('watchlist notifications', () => {
  it('show the alert natively while the window is in the background; a click focuses the app', () => {
    const engine = fakeEngine();
    const win = new FakeBrowserWindow();
    const focus = vi.fn();
    const stop = setupWatchNotifications(engine, () => win as unknown as BrowserWindow, focus);
    engine.emitWatchAlert(ALERT);
    expect(FakeNotification.shown).toHaveLength(1);
    const shown = FakeNotification.shown[0]!;
    expect(shown.options).toEqual(alertNotification(ALERT));
    expect(shown.options.body).toContain('Your router 192.168.0.1 contacted Avira SafeThings');
    shown.emit('click');
    expect(focus).toHaveBeenCalledTimes(1);
    // A router's connectivity check is no alarm.
    engine.emitWatchAlert({
      ...ALERT,
      rule: 'tplink-www-connectivity',
      category: 'connectivity',
      message: 'www.tp-link.com',
    });
    expect(FakeNotification.shown).toHaveLength(1);
    stop();
    engine.emitWatchAlert(ALERT);
    expect(FakeNotification.shown).toHaveLength(1);
  });

  it('leave it to the page when the window has focus, and to nobody without notification support', () => {
    const win = new FakeBrowserWindow();
    win.focused = true;
    expect(notifyAlert(ALERT, win as unknown as BrowserWindow, () => {})).toBe(false);
    win.focused = false;
    FakeNotification.supported = false;
    expect(notifyAlert(ALERT, win as unknown as BrowserWindow, () => {})).toBe(false);
    expect(FakeNotification.shown).toHaveLength(0);
    // No window at all (closed to the dock): the notification is the only way to tell.
    FakeNotification.supported = true;
    expect(notifyAlert(ALERT, null, () => {})).toBe(true);
  });

  it('never throws when the system refuses', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const spy = vi.spyOn(FakeNotification.prototype, 'show').mockImplementation(() => {
      throw new Error('no notification daemon');
    });
    expect(notifyAlert(ALERT, null, () => {})).toBe(false);
    expect(warn).toHaveBeenCalled();
    spy.mockRestore();
    warn.mockRestore();
  });
});
