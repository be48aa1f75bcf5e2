/**
 * The only bridge between the page and main: one method per action, listeners that return their
 * unsubscribe function, and no way to reach any other channel. The methods are built from the table in
 * shared/contract.ts, each bound to its one fixed channel. Built as CommonJS because sandboxed preload
 * scripts cannot be ES modules, with its dependencies bundled because they cannot require them either.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import {
  EVENT_CHANNELS,
  EVENTS,
  REQUEST_CHANNELS,
  REQUESTS,
  takesArgs,
  type EventChannel,
  type RequestChannel,
} from '@shared/contract';
import { PRELOAD_GLOBAL } from '@shared/preload-api';
import type { PreloadApi } from '@shared/preload-api';
import { READY_CHANNEL } from '../main/ipc/channels';

/** Sends `channel` with the page's argument, or with none when the channel takes none. */
function invoker(channel: RequestChannel): (args?: unknown) => Promise<unknown> {
  const withArgs = takesArgs(channel);
  return (args) => ipcRenderer.invoke(channel, withArgs ? args : undefined);
}

/** Subscribes the page's listener to `channel`; returns the unsubscribe function. */
function subscriber(channel: EventChannel): (listener: (payload: unknown) => void) => () => void {
  return (listener) => {
    // Wrapped so the page never sees the IpcRendererEvent (it carries `sender`, i.e. ipcRenderer itself).
    const wrapped = (_event: IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(channel, wrapped);
    return () => {
      ipcRenderer.removeListener(channel, wrapped);
    };
  };
}

/** The API exposed to the page as window.dnsWitness; exactly the methods of PreloadApi. */
const preloadApi = Object.fromEntries([
  ...REQUEST_CHANNELS.map((channel) => [REQUESTS[channel].method, invoker(channel)]),
  ...EVENT_CHANNELS.map((channel) => [EVENTS[channel].listener, subscriber(channel)]),
  ['ready', () => ipcRenderer.send(READY_CHANNEL)],
]) as PreloadApi;

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, preloadApi);
