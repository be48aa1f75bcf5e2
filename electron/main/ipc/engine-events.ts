import type { BrowserWindow } from 'electron';
import { subscribeEngineEvents } from '../../engine-api/events';
import type { EngineHandle } from '../../engine/types';
import { send } from './send';

/**
 * Forwards every engine event of shared/contract.ts to `win` (through its Outbox) until it closes.
 * Returns a function that stops forwarding earlier.
 */
export function setupEngineEvents(engine: EngineHandle, win: BrowserWindow): () => void {
  const unsubscribe = subscribeEngineEvents(engine, (channel, payload) => send(win, channel, payload));
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    unsubscribe();
  };
  win.once('closed', stop);
  return stop;
}
