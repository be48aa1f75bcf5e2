import type { BrowserWindow } from 'electron';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { UiCommand } from '@shared/api';
import { EVENT_CHANNELS, REQUEST_CHANNELS, REQUESTS, takesArgs } from '@shared/contract';
import { PRELOAD_METHODS, type PreloadApi } from '@shared/preload-api';
import type { DeviceInfo, QueryBatch } from '@shared/events';
import { READY_CHANNEL } from '../main/ipc/channels';
import { setupEngineEvents } from '../main/ipc/engine-events';
import { setupRequests } from '../main/ipc/requests';
import { setupReadySignal } from '../main/ipc/send';
import { trustWindow } from '../main/ipc/trusted-windows';
import { sendUiCommand } from '../main/ipc/ui-commands';
import { ALERT, batch, deviceInfo, fakeEngine, statusAt, watchReport } from '../main/testing/fake-engine';
import type { WatchAlert } from '@shared/watch/messages';
import type { WatchReport } from '@shared/watch/report';
import {
  contextBridge,
  FakeBrowserWindow,
  fakeFrame,
  ipcMain,
  ipcRenderer,
} from '../main/testing/fake-electron';

vi.mock('electron', () => import('../main/testing/fake-electron'));

let api: PreloadApi;

beforeAll(async () => {
  await import('./index');
  const [name, exposed] = contextBridge.exposeInMainWorld.mock.calls[0] as [string, PreloadApi];
  expect(name).toBe('dnsWitness');
  api = exposed;
});

beforeEach(() => {
  ipcRenderer.invoke.mockReset();
  ipcRenderer.invoke.mockResolvedValue('result');
  ipcRenderer.send.mockClear();
});

describe('preload API', () => {
  it('exposes exactly the PreloadApi methods, nothing generic', () => {
    expect(Object.keys(api).sort()).toEqual([...PRELOAD_METHODS].sort());
    // One method per request and event of the table, plus ready().
    expect(Object.keys(api)).toHaveLength(REQUEST_CHANNELS.length + EVENT_CHANNELS.length + 1);
    for (const generic of ['invoke', 'send', 'on', 'off', 'emit', 'handle', 'ipcRenderer'])
      expect(Object.keys(api)).not.toContain(generic);
    expect(Object.values(api).every((v) => typeof v === 'function')).toBe(true);
  });

  it('sends each request on its own channel, with no argument where the channel takes none', async () => {
    const methods = api as unknown as Record<string, (arg: unknown) => Promise<unknown>>;
    for (const channel of REQUEST_CHANNELS) await methods[REQUESTS[channel].method]?.({ probe: channel });
    expect(ipcRenderer.invoke.mock.calls).toEqual(
      REQUEST_CHANNELS.map((c) => [c, takesArgs(c) ? { probe: c } : undefined]),
    );
  });

  it('maps each action to its request channel', async () => {
    await api.startCapture();
    await api.stopCapture();
    await api.snapshot({ rangeMinutes: 30 });
    await api.listQueries({ name: 'avira', limit: 10 });
    await api.getStatus();
    await api.exportCsv({ client: '192.168.0.1' });
    await api.exportPcap({ name: 'avira', exportId: 'pcap-1' });
    await api.exportPng({});
    await api.exportBundle({ client: '192.168.0.1' });
    await api.renameDevice({ address: '192.168.0.1', name: 'Router' });
    await api.setRouters({ addresses: ['192.168.0.1'] });
    await api.watchReport();
    await api.watchRules();
    await api.updateWatchRule({ id: 'avira-safethings', block: 'null' });
    const rule = {
      vendor: 'Acme',
      integration: 'cloud',
      patterns: ['acme.example'],
      category: 'vendor-cloud' as const,
      explanation: '',
    };
    await api.saveWatchRule(rule);
    await api.removeWatchRule({ id: 'user-1' });
    await api.watchMinutes({ rangeMinutes: 60 });
    await api.addMarker({ label: 'HomeShield off' });
    await api.removeMarker({ id: 'm-1' });
    await api.getWatchSettings();
    await api.setRouterModel({ model: 'Deco X68 v1' });
    const config = { listen: [], upstreams: ['9.9.9.9'], allow: [], retentionDays: 7, dataDir: '' };
    await api.getConfig();
    await api.saveConfig(config);
    await api.setupState({ since: 5 });
    await api.selfTest();
    await api.saveSetupProgress({ brand: 'asus', wanChanged: true });
    expect(ipcRenderer.invoke.mock.calls).toEqual([
      ['capture:start', undefined],
      ['capture:stop', undefined],
      ['capture:snapshot', { rangeMinutes: 30 }],
      ['query:list', { name: 'avira', limit: 10 }],
      ['status:get', undefined],
      ['export:csv', { client: '192.168.0.1' }],
      ['export:pcap', { name: 'avira', exportId: 'pcap-1' }],
      ['export:png', {}],
      ['export:bundle', { client: '192.168.0.1' }],
      ['device:rename', { address: '192.168.0.1', name: 'Router' }],
      ['device:set-routers', { addresses: ['192.168.0.1'] }],
      ['watch:report', undefined],
      ['watch:rules', undefined],
      ['watch:update', { id: 'avira-safethings', block: 'null' }],
      ['watch:save-rule', rule],
      ['watch:remove-rule', { id: 'user-1' }],
      ['watch:minutes', { rangeMinutes: 60 }],
      ['marker:add', { label: 'HomeShield off' }],
      ['marker:remove', { id: 'm-1' }],
      ['watch-settings:get', undefined],
      ['watch-settings:router-model', { model: 'Deco X68 v1' }],
      ['config:get', undefined],
      ['config:save', config],
      ['setup:state', { since: 5 }],
      ['setup:self-test', undefined],
      ['setup:progress', { brand: 'asus', wanChanged: true }],
    ]);
  });

  it('passes only the payload to listeners and unsubscribes them', () => {
    const seen: unknown[] = [];
    const off = api.onQueryBatch((b) => seen.push(b));
    const offStatus = api.onStatus((s) => seen.push(s.now));
    ipcRenderer.emit('query:batch', { sender: ipcRenderer }, batch(1, 1));
    ipcRenderer.emit('engine:status', { sender: ipcRenderer }, statusAt(42));
    off();
    offStatus();
    ipcRenderer.emit('query:batch', { sender: ipcRenderer }, batch(2, 1));
    expect(seen).toEqual([batch(1, 1), 42]);
    expect(ipcRenderer.listenerCount('query:batch')).toBe(0);
  });

  it('signals ready on its own channel', () => {
    api.ready();
    expect(ipcRenderer.send.mock.calls).toEqual([[READY_CHANNEL]]);
  });
});

describe('preload ↔ main round trip', () => {
  it('reaches the engine through the validated handlers and receives events after ready()', async () => {
    const engine = fakeEngine();
    const win = new FakeBrowserWindow();
    trustWindow(win as unknown as BrowserWindow);
    setupReadySignal();
    setupRequests(engine);
    setupEngineEvents(engine, win as unknown as BrowserWindow);

    // Wire the fake renderer to the fake main the way Electron's IPC does for a page on app://dns-witness.
    const event = { sender: win.webContents, senderFrame: fakeFrame('app://dns-witness/index.html') };
    ipcRenderer.invoke.mockImplementation((channel, ...args) => ipcMain.invoke(event, channel, ...args));
    ipcRenderer.send.mockImplementation((channel) => ipcMain.emitFrom(event, channel));
    win.webContents.send = (channel: string, payload: unknown) => {
      ipcRenderer.emit(channel, { sender: ipcRenderer }, structuredClone(payload));
    };

    expect(await api.getStatus()).toEqual(statusAt(2));
    expect(await api.listQueries({ limit: 5 })).toMatchObject({ limit: 5 });
    await expect(api.listQueries({ limit: -1 })).rejects.toThrow(/invalid arguments for query:list at limit/);

    const batches: QueryBatch[] = [];
    api.onQueryBatch((b) => batches.push(b));
    engine.emitBatch(batch(1, 2));
    expect(batches).toEqual([]);
    api.ready();
    expect(batches).toEqual([batch(1, 2)]);
    engine.emitBatch(batch(2, 1));
    expect(batches.map((b) => b.batch)).toEqual([1, 2]);

    // Renaming goes through the schema (trimmed) to the engine; its update comes back as an event.
    const updates: DeviceInfo[] = [];
    api.onDeviceUpdate((d) => updates.push(d));
    expect(await api.renameDevice({ address: '192.168.0.1', name: ' Router ' })).toEqual(
      deviceInfo('192.168.0.1', 'Router'),
    );
    await expect(api.renameDevice({ address: '192.168.0.1', name: 'a\tb' })).rejects.toThrow(
      /control characters/,
    );
    engine.emitDevice(deviceInfo('192.168.0.1', 'Router'));
    expect(updates).toEqual([deviceInfo('192.168.0.1', 'Router')]);

    // The watchlist: a marker through the schema, and the report and the first-contact alert as events.
    expect(await api.addMarker({ label: ' HomeShield switched off ', ts: 1_700_000_100_000 })).toEqual({
      id: 'm-0',
      ts: 1_700_000_100_000,
      label: 'HomeShield switched off',
    });
    await expect(api.updateWatchRule({ id: 'avira-safethings' })).rejects.toThrow(/nothing to change/);
    const reports: WatchReport[] = [];
    const alerts: WatchAlert[] = [];
    api.onWatchReport((r) => reports.push(r));
    api.onWatchAlert((a) => alerts.push(a));
    engine.emitWatchReport(watchReport());
    engine.emitWatchAlert(ALERT);
    expect(reports).toEqual([watchReport()]);
    expect(alerts).toEqual([ALERT]);

    // A menu shortcut that acts in the page (Edit → Find…) arrives as a ui:command.
    const commands: UiCommand[] = [];
    api.onUiCommand((c) => commands.push(c));
    sendUiCommand(win as unknown as BrowserWindow, 'focus-search');
    sendUiCommand(null, 'focus-search');
    expect(commands).toEqual([{ command: 'focus-search' }]);
  });
});
