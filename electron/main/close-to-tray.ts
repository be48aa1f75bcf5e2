/**
 * Closing the window while a capture runs hides it instead, so the recording goes on; the first time, a
 * notification says where the app went and how to stop it.
 */
import { Notification } from 'electron';
import type { BrowserWindow } from 'electron';

/** The notification shown the first time the window is hidden to the tray. */
export function hiddenToTrayNotice(platform: NodeJS.Platform): { title: string; body: string } {
  const place = platform === 'darwin' ? 'menu bar' : 'tray';
  return {
    title: 'DNS Witness is still running',
    body: `DNS Witness keeps capturing in the ${place}; quit from the ${place} menu to stop.`,
  };
}

export interface CloseToTrayOptions {
  /** True once the app is quitting: then the window really closes. */
  readonly quitting: () => boolean;
  /** True when closing should hide the window: a tray icon exists and a capture is running. */
  readonly keepRunning: () => boolean;
  /** Tells the user, once per run of the app, that it went on capturing. */
  readonly notice: () => void;
}

/** Makes `win`'s close button hide it while `keepRunning()` (see CloseToTrayOptions). */
export function setupCloseToTray(win: BrowserWindow, opts: CloseToTrayOptions): void {
  win.on('close', (event) => {
    if (opts.quitting() || !opts.keepRunning()) return;
    event.preventDefault();
    win.hide();
    opts.notice();
  });
}

/** A notice() for CloseToTrayOptions that shows the notification the first time only. Never throws. */
export function oneTimeTrayNotice(platform: NodeJS.Platform = process.platform): () => void {
  let shown = false;
  return () => {
    if (shown) return;
    shown = true;
    try {
      if (Notification.isSupported()) new Notification(hiddenToTrayNotice(platform)).show();
    } catch (error) {
      console.warn('[main] could not show a notification:', error);
    }
  };
}
