import { app } from 'electron';

/**
 * Makes this the only running DNS Witness (it owns the DNS port and the data folder): true when it got the
 * lock, and then `onSecondLaunch` runs whenever the app is started again. False when another instance has
 * it; that one is told (and shows its window), and the caller should quit.
 */
export function claimSingleInstance(onSecondLaunch: () => void): boolean {
  if (!app.requestSingleInstanceLock()) return false;
  app.on('second-instance', () => onSecondLaunch());
  return true;
}
