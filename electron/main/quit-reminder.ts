/**
 * Before DNS Witness quits during a capture: a reminder that the router may still send its DNS here, and
 * that the network has no DNS once the forwarder is gone.
 */
import { dialog } from 'electron';
import type { BrowserWindow, MessageBoxOptions } from 'electron';
import type { EngineStatus } from '@shared/events';

/** Index of the button that quits; the other one keeps DNS Witness running. */
export const QUIT_BUTTON = 0;

/** The reminder dialog. Keeping the app running is the default and what Esc does. */
export const QUIT_REMINDER: MessageBoxOptions = {
  type: 'warning',
  title: 'Quit DNS Witness?',
  message: 'Quit DNS Witness and stop capturing?',
  detail:
    'If your router or devices use this computer as their DNS server, they cannot resolve names once DNS ' +
    'Witness quits. Set the router’s DNS back first (to automatic, or to what it was before).',
  buttons: ['Quit', 'Keep Running'],
  defaultId: 1,
  cancelId: 1,
  noLink: true,
};

/** True when quitting now deserves the reminder: a capture is running. */
export function needsQuitReminder(status: Pick<EngineStatus, 'capture'>): boolean {
  return status.capture?.state === 'running';
}

/**
 * Asks whether to quit while a capture runs (attached to `win` when it is visible); resolves true at once
 * when no capture runs, false when `signal` aborts the question. A dialog that fails to open counts as yes: the app must stay quittable.
 */
export async function confirmQuit(
  status: Pick<EngineStatus, 'capture'>,
  win: BrowserWindow | null,
  signal?: AbortSignal,
): Promise<boolean> {
  if (!needsQuitReminder(status)) return true;
  try {
    const visible = win !== null && !win.isDestroyed() && win.isVisible();
    // An aborted signal closes the dialog as if cancelled.
    const options = signal ? { ...QUIT_REMINDER, signal } : QUIT_REMINDER;
    const answer = visible ? await dialog.showMessageBox(win, options) : await dialog.showMessageBox(options);
    return answer.response === QUIT_BUTTON;
  } catch (error) {
    console.error('[main] could not ask before quitting:', error);
    return true;
  }
}
