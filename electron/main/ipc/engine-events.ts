import type { BrowserWindow } from 'electron';
import type { EngineHandle } from '../../engine/types';
import { send } from './send';

/**
 * Forwards the engine's query batches, status, warnings, device updates and watchlist reports and alerts and export progress to `win` until it closes.
 * Returns a function that stops forwarding earlier.
 */
export function setupEngineEvents(engine: EngineHandle, win: BrowserWindow): () => void {
  const unsubscribe = [
    engine.subscribe((batch) => send(win, 'query:batch', batch)),
    engine.onStatus((status) => send(win, 'engine:status', status)),
    engine.onWarning((warning) => send(win, 'engine:warning', warning)),
    engine.onDevice((device) => send(win, 'device:update', device)),
    engine.onWatchReport((report) => send(win, 'watch:report', report)),
    engine.onWatchAlert((alert) => send(win, 'watch:alert', alert)),
    engine.onExportProgress((progress) => send(win, 'export:progress', progress)),
  ];
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    for (const off of unsubscribe) off();
  };
  win.once('closed', stop);
  return stop;
}
