/**
 * A native notification when the router first contacts a watched service, for the user who is not looking
 * at DNS Witness; the page shows its own toast for the one who is.
 */
import { Notification } from 'electron';
import type { BrowserWindow } from 'electron';
import type { WatchAlert } from '@shared/watch/messages';
import type { EngineHandle } from '../engine/types';

/** Notifications kept referenced until clicked or closed, so their click handler is not collected. */
const live = new Set<Notification>();
const MAX_LIVE = 16;

/** The notification's title and body for `alert`. */
export function alertNotification(alert: WatchAlert): { title: string; body: string } {
  return {
    title: 'DNS Witness: your router contacted a watched service',
    body: `${alert.message} Open DNS Witness to see how often.`,
  };
}

/**
 * Shows `alert` as a native notification unless `win` has focus or the system has no notifications.
 * Clicking it calls `onClick`. Returns whether one was shown; never throws.
 */
export function notifyAlert(alert: WatchAlert, win: BrowserWindow | null, onClick: () => void): boolean {
  try {
    if (win && !win.isDestroyed() && win.isFocused()) return false;
    if (!Notification.isSupported()) return false;
    const n = new Notification(alertNotification(alert));
    const release = (): void => {
      live.delete(n);
    };
    n.on('click', () => {
      release();
      onClick();
    });
    n.on('close', release);
    if (live.size >= MAX_LIVE) live.clear();
    live.add(n);
    n.show();
    return true;
  } catch (error) {
    console.warn('[main] could not show a notification:', error);
    return false;
  }
}

/**
 * Notifies each of the engine's watchlist alerts, except connectivity checks (see notifyAlert), against
 * the current main window.
 * Returns the function that stops it.
 */
export function setupWatchNotifications(
  engine: Pick<EngineHandle, 'onWatchAlert'>,
  currentWindow: () => BrowserWindow | null,
  focus: () => void,
): () => void {
  return engine.onWatchAlert((alert) => {
    // Connectivity checks (every router makes them) are shown in the app, not pushed at the user.
    if (alert.category === 'connectivity') return;
    notifyAlert(alert, currentWindow(), focus);
  });
}
