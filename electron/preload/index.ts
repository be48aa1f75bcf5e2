/**
 * The only bridge between the page and main: one method per action, listeners that return their
 * unsubscribe function, and no way to reach any other channel. Built as CommonJS because sandboxed
 * preload scripts cannot be ES modules.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';
import type { EventChannel, Events, RequestArgs, RequestChannel, RequestResult } from '@shared/api';
import { PRELOAD_GLOBAL } from '@shared/preload-api';
import type { PreloadApi } from '@shared/preload-api';
import { READY_CHANNEL } from '../main/ipc/channels';

function invoke<K extends RequestChannel>(channel: K, args: RequestArgs<K>): Promise<RequestResult<K>> {
  return ipcRenderer.invoke(channel, args) as Promise<RequestResult<K>>;
}

function listen<K extends EventChannel>(channel: K, listener: (payload: Events[K]) => void): () => void {
  // Wrapped so the page never sees the IpcRendererEvent (it carries `sender`, i.e. ipcRenderer itself).
  const wrapped = (_event: IpcRendererEvent, payload: Events[K]): void => listener(payload);
  ipcRenderer.on(channel, wrapped);
  return () => {
    ipcRenderer.removeListener(channel, wrapped);
  };
}

/** The API exposed to the page as window.dnsWitness; exactly the methods of PreloadApi. */
const preloadApi: PreloadApi = {
  startCapture: () => invoke('capture:start', undefined),
  stopCapture: () => invoke('capture:stop', undefined),
  snapshot: (req) => invoke('capture:snapshot', req),
  listQueries: (req) => invoke('query:list', req),
  getStatus: () => invoke('status:get', undefined),
  exportCsv: (filter) => invoke('export:csv', filter),
  exportPcap: (filter) => invoke('export:pcap', filter),
  exportPng: (filter) => invoke('export:png', filter),
  exportBundle: (filter) => invoke('export:bundle', filter),
  renameDevice: (req) => invoke('device:rename', req),
  setRouters: (req) => invoke('device:set-routers', req),
  watchReport: () => invoke('watch:report', undefined),
  watchRules: () => invoke('watch:rules', undefined),
  updateWatchRule: (req) => invoke('watch:update', req),
  saveWatchRule: (req) => invoke('watch:save-rule', req),
  removeWatchRule: (req) => invoke('watch:remove-rule', req),
  watchMinutes: (req) => invoke('watch:minutes', req),
  addMarker: (req) => invoke('marker:add', req),
  removeMarker: (req) => invoke('marker:remove', req),
  getSettings: () => invoke('settings:get', undefined),
  setRouterModel: (req) => invoke('settings:router-model', req),
  setCorrelationWindow: (req) => invoke('settings:correlation-window', req),
  getConfig: () => invoke('config:get', undefined),
  saveConfig: (values) => invoke('config:save', values),
  setupState: (req) => invoke('setup:state', req),
  selfTest: () => invoke('setup:self-test', undefined),
  saveSetupProgress: (change) => invoke('setup:progress', change),
  onQueryBatch: (listener) => listen('query:batch', listener),
  onStatus: (listener) => listen('engine:status', listener),
  onWarning: (listener) => listen('engine:warning', listener),
  onDeviceUpdate: (listener) => listen('device:update', listener),
  onWatchReport: (listener) => listen('watch:report', listener),
  onWatchAlert: (listener) => listen('watch:alert', listener),
  onUiCommand: (listener) => listen('ui:command', listener),
  onExportProgress: (listener) => listen('export:progress', listener),
  onExportMenu: (listener) => listen('export:menu', listener),
  ready: () => ipcRenderer.send(READY_CHANNEL),
};

contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, preloadApi);
