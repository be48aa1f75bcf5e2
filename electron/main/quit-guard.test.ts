import type { BrowserWindow } from 'electron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EngineStatus } from '@shared/events';
import { QuitGuard } from './quit-guard';
import { confirmQuit, needsQuitReminder, QUIT_REMINDER } from './quit-reminder';
import { CAPTURE } from './testing/fake-engine';
import { app, dialog, FakeBrowserWindow } from './testing/fake-electron';

vi.mock('electron', () => import('./testing/fake-electron'));

type Status = Pick<EngineStatus, 'capture'>;
const RECORDING: Status = { capture: CAPTURE };
const STOPPED: Status = { capture: { ...CAPTURE, state: 'stopped', stoppedAt: CAPTURE.startedAt + 1 } };

/** Emits before-quit as Electron does; true when a listener let the quit through. */
function beforeQuit(): boolean {
  let prevented = false;
  app.emit('before-quit', { preventDefault: () => (prevented = true) });
  return !prevented;
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function guard(status: Status | null, confirm: (s: Status, signal: AbortSignal) => Promise<boolean>) {
  const close = vi.fn(() => Promise.resolve());
  const kept = vi.fn();
  const g = new QuitGuard({ status: () => status, confirm, close, kept });
  g.attach();
  return { g, close, kept };
}

beforeEach(() => {
  app.quit.mockClear();
  dialog.showMessageBox.mockClear();
});

afterEach(() => {
  app.removeAllListeners('before-quit');
});

describe('QuitGuard', () => {
  it('asks during a capture; "Keep Running" keeps the app and gives the window back', async () => {
    const answer = deferred<boolean>();
    const confirm = vi.fn((_s: Status, _signal: AbortSignal) => answer.promise);
    const { g, close, kept } = guard(RECORDING, confirm);
    expect(beforeQuit()).toBe(false);
    expect(g.state).toBe('asking');
    expect(g.quitting).toBe(false);
    // Ctrl+Q again while the question is open asks nothing more.
    expect(beforeQuit()).toBe(false);
    expect(confirm).toHaveBeenCalledTimes(1);
    answer.resolve(false);
    await vi.waitFor(() => expect(kept).toHaveBeenCalledTimes(1));
    expect(g.state).toBe('running');
    expect(close).not.toHaveBeenCalled();
    expect(app.quit).not.toHaveBeenCalled();
  });

  it('closes the engine before letting a confirmed quit through', async () => {
    const { g, close } = guard(RECORDING, () => Promise.resolve(true));
    expect(beforeQuit()).toBe(false);
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalledTimes(1));
    expect(close).toHaveBeenCalledTimes(1);
    expect(g.state).toBe('done');
    expect(g.quitting).toBe(true);
    expect(beforeQuit(), 'the second quit goes through').toBe(true);
  });

  it('asks nothing on a forced quit, and a forced quit closes an open question', async () => {
    const confirm = vi.fn(() => Promise.resolve(true));
    const forced = guard(RECORDING, confirm);
    forced.g.forceQuit();
    expect(app.quit).toHaveBeenCalledTimes(1);
    expect(beforeQuit()).toBe(false);
    await vi.waitFor(() => expect(app.quit).toHaveBeenCalledTimes(2));
    expect(confirm).not.toHaveBeenCalled();
    expect(forced.close).toHaveBeenCalledTimes(1);
    app.removeAllListeners('before-quit');
    app.quit.mockClear();

    // SIGTERM while the dialog is up: the dialog's signal aborts (it then answers "cancel") and the quit goes on.
    let signal: AbortSignal | null = null;
    const open = guard(RECORDING, (_s, s) => {
      signal = s;
      return new Promise<boolean>((resolve) => s.addEventListener('abort', () => resolve(false)));
    });
    beforeQuit();
    expect(open.g.state).toBe('asking');
    open.g.forceQuit();
    expect((signal as AbortSignal | null)?.aborted).toBe(true);
    await vi.waitFor(() => expect(open.close).toHaveBeenCalledTimes(1));
    expect(open.kept).not.toHaveBeenCalled();
  });

  it('lets the quit through at once before the engine is open', () => {
    const confirm = vi.fn(() => Promise.resolve(true));
    const { g } = guard(null, confirm);
    expect(beforeQuit()).toBe(true);
    expect(g.state).toBe('done');
    expect(confirm).not.toHaveBeenCalled();
  });
});

describe('confirmQuit()', () => {
  it('reminds to set the router back, attached to the visible window; only Quit quits', async () => {
    expect(QUIT_REMINDER.detail).toMatch(/router’s DNS back/);
    expect(QUIT_REMINDER.buttons?.[QUIT_REMINDER.cancelId ?? -1]).toBe('Keep Running');
    const win = new FakeBrowserWindow();
    win.show();
    dialog.showMessageBox.mockResolvedValueOnce({ response: 0, checkboxChecked: false });
    expect(await confirmQuit(RECORDING, win as unknown as BrowserWindow)).toBe(true);
    expect(dialog.showMessageBox.mock.calls[0]).toEqual([win, QUIT_REMINDER]);

    // Hidden in the tray: a dialog of its own; "Keep Running" (also Esc) answers no.
    win.hide();
    const signal = new AbortController().signal;
    dialog.showMessageBox.mockResolvedValueOnce({ response: 1, checkboxChecked: false });
    expect(await confirmQuit(RECORDING, win as unknown as BrowserWindow, signal)).toBe(false);
    expect(dialog.showMessageBox.mock.calls[1]).toEqual([{ ...QUIT_REMINDER, signal }]);
  });

  it('does not ask when no capture runs, and never blocks quitting when the dialog fails', async () => {
    expect(needsQuitReminder(STOPPED)).toBe(false);
    expect(needsQuitReminder({ capture: null })).toBe(false);
    expect(await confirmQuit(STOPPED, null)).toBe(true);
    expect(dialog.showMessageBox).not.toHaveBeenCalled();
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    dialog.showMessageBox.mockRejectedValueOnce(new Error('no display'));
    expect(await confirmQuit(RECORDING, null)).toBe(true);
    error.mockRestore();
  });
});
