import { describe, expect, it } from 'vitest';
import type { AlertsView } from '@shared/alerts';
import type { ConfigView } from '@shared/config';
import { PRELOAD_GLOBAL, type PreloadApi } from '@shared/preload-api';
import { NO_PROGRESS, type SetupState } from '@shared/setup';
import { createBridge, csvUrl, parseStreamMessage, readRpcResponse, rpcBody, streamUrl } from './bridge';
import { deviceAt, engineStatus, snapshotOf } from './test-events';
import type { ActiveRule } from '@shared/watch/rules';
import type { WatchReport } from '@shared/watch/report';

const REPORT: WatchReport = { windowMs: 0, rules: [], markers: [], effects: [] };

describe('bridge wire helpers', () => {
  it('sends args only when the channel takes some', () => {
    expect(rpcBody(undefined)).toBe('{}');
    expect(JSON.parse(rpcBody({ rangeMinutes: 15 }))).toEqual({ args: { rangeMinutes: 15 } });
  });

  it('builds the CSV address from the set filter parts only', () => {
    expect(csvUrl({})).toBe('/api/export.csv');
    expect(csvUrl({ client: 'fe80::1', name: 'avira com', from: 1000, to: 2000 })).toBe(
      '/api/export.csv?client=fe80%3A%3A1&name=avira+com&from=1000&to=2000',
    );
    expect(csvUrl({ name: '' })).toBe('/api/export.csv');
    expect(csvUrl({ watched: true, rule: 'avira-safethings' })).toBe(
      '/api/export.csv?rule=avira-safethings&watched=1',
    );
    expect(csvUrl({ watched: false })).toBe('/api/export.csv');
  });

  it('derives the stream address from the page origin', () => {
    expect(streamUrl({ protocol: 'http:', host: '127.0.0.1:8080' })).toBe('ws://127.0.0.1:8080/api/stream');
    expect(streamUrl({ protocol: 'https:', host: 'box.lan' })).toBe('wss://box.lan/api/stream');
  });

  it('accepts only known event messages', () => {
    const ok = { channel: 'query:batch', payload: { batch: 1, events: [], dropped: 0 } };
    expect(parseStreamMessage(JSON.stringify(ok))).toEqual(ok);
    const device = { channel: 'device:update', payload: deviceAt('192.168.1.1', { isRouter: true }) };
    expect(parseStreamMessage(JSON.stringify(device))).toEqual(device);
    const report = { channel: 'watch:report', payload: REPORT };
    expect(parseStreamMessage(JSON.stringify(report))).toEqual(report);
    expect(parseStreamMessage('{"channel":"evil:thing","payload":{}}')).toBeNull();
    expect(parseStreamMessage('{"channel":"engine:status"}')).toBeNull();
    expect(parseStreamMessage('not json')).toBeNull();
    expect(parseStreamMessage(new Uint8Array(2))).toBeNull();
  });

  it('returns the result or throws the service message', async () => {
    await expect(readRpcResponse(new Response('{"result":{"a":1}}', { status: 200 }))).resolves.toEqual({
      a: 1,
    });
    await expect(
      readRpcResponse(new Response('{"error":"invalid arguments for query:list"}', { status: 400 })),
    ).rejects.toThrow('invalid arguments for query:list');
    await expect(
      readRpcResponse(new Response('<html>', { status: 502, statusText: 'Bad Gateway' })),
    ).rejects.toThrow('502 Bad Gateway');
  });
});

describe('createBridge over the preload API', () => {
  /** A preload object that records calls, shaped exactly like the one electron/preload exposes. */
  function recordingPreload() {
    const calls: string[] = [];
    const listeners: Record<string, ((p: unknown) => void)[]> = {};
    const on = (name: string) => (l: (p: never) => void) => {
      calls.push(name);
      (listeners[name] ??= []).push(l as (p: unknown) => void);
      return () => calls.push(`off:${name}`);
    };
    const preload: PreloadApi = {
      startCapture: async () => (calls.push('startCapture'), captureInfo),
      stopCapture: async () => (calls.push('stopCapture'), null),
      snapshot: async (req) => (calls.push(`snapshot:${req.rangeMinutes}`), snapshotOf([], 0)),
      listQueries: async (req) => (
        calls.push(`listQueries:${req.limit}`),
        { total: 0, offset: 0, limit: 1, events: [] }
      ),
      getStatus: async () => (calls.push('getStatus'), engineStatus(0)),
      listDevices: async (req) => (
        calls.push(`listDevices:${req.offset}`),
        { total: 0, queries: 0, offset: 0, limit: 100, clients: [], devices: [] }
      ),
      exportCsv: async (f) => (calls.push(`exportCsv:${f.client}`), { saved: true, path: '/tmp/x.csv' }),
      exportPcap: async (f) => (calls.push(`exportPcap:${f.exportId}`), { saved: true, path: '/tmp/x.pcap' }),
      exportDnstap: async () => (calls.push('exportDnstap'), { saved: true, path: '/tmp/x.dnstap' }),
      exportPng: async () => (calls.push('exportPng'), { saved: false, path: '' }),
      exportBundle: async (f) => (calls.push(`exportBundle:${f.name}`), { saved: true, path: '/tmp/x.zip' }),
      importFile: async (r) => (calls.push(`importFile:${r.format}`), { id: r.id }),
      cancelImport: async (r) => (calls.push(`cancelImport:${r.id}`), false),
      installKey: async () => ({ algorithm: 'Ed25519', fingerprint: '0123 4567' }),
      renameDevice: async (r) => (calls.push(`renameDevice:${r.address}=${r.name}`), deviceAt(r.address, r)),
      setRouters: async (r) => (
        calls.push(`setRouters:${r.addresses.join('+')}`),
        r.addresses.map((a) => deviceAt(a, { isRouter: true }))
      ),
      watchReport: async () => (calls.push('watchReport'), REPORT),
      watchRules: async () => (calls.push('watchRules'), []),
      updateWatchRule: async (r) => (
        calls.push(`updateWatchRule:${r.id}=${r.block}`),
        { id: r.id, block: r.block } as unknown as ActiveRule
      ),
      saveWatchRule: async (r) => (
        calls.push(`saveWatchRule:${r.patterns.join('+')}`),
        { id: 'user-1' } as unknown as ActiveRule
      ),
      removeWatchRule: async (r) => (calls.push(`removeWatchRule:${r.id}`), null),
      watchMinutes: async (r) => (calls.push(`watchMinutes:${r.rangeMinutes}`), { lastSeq: 0, minutes: [] }),
      addMarker: async (r) => (calls.push(`addMarker:${r.label}`), { id: 'm-1', ts: 1, label: r.label }),
      removeMarker: async (r) => (calls.push(`removeMarker:${r.id}`), null),
      getWatchSettings: async () => (
        calls.push('getWatchSettings'),
        { routerModel: '', correlationWindowS: 3 }
      ),
      setRouterModel: async (r) => (
        calls.push(`setRouterModel:${r.model}`),
        { routerModel: r.model, correlationWindowS: 3 }
      ),
      setCorrelationWindow: async (r) => (
        calls.push(`setCorrelationWindow:${r.seconds}`),
        { routerModel: '', correlationWindowS: r.seconds }
      ),
      getConfig: async () => (calls.push('getConfig'), {} as unknown as ConfigView),
      saveConfig: async (v) => (
        calls.push(`saveConfig:${v.retentionDays}`),
        { ok: false, errors: { retentionDays: 'x' } }
      ),
      getTheme: async () => (calls.push('getTheme'), { theme: 'system' }),
      setTheme: async (t) => (calls.push(`setTheme:${t.theme}`), t),
      getAlerts: async () => (calls.push('getAlerts'), {} as unknown as AlertsView),
      saveAlerts: async () => (calls.push('saveAlerts'), { ok: false, errors: {} }),
      testAlert: async (t) => (calls.push(`testAlert:${t.target}`), { ok: true, message: '' }),
      setupState: async (r) => (calls.push(`setupState:${r.since}`), {} as unknown as SetupState),
      selfTest: async () => (calls.push('selfTest'), []),
      saveSetupProgress: async (c) => (
        calls.push(`saveSetupProgress:${c.brand}`),
        { ...NO_PROGRESS, brand: c.brand ?? '' }
      ),
      onQueryBatch: on('onQueryBatch'),
      onStatus: on('onStatus'),
      onWarning: on('onWarning'),
      onDeviceUpdate: on('onDeviceUpdate'),
      onWatchReport: on('onWatchReport'),
      onWatchAlert: on('onWatchAlert'),
      onUiCommand: on('onUiCommand'),
      onExportProgress: on('onExportProgress'),
      onImportProgress: on('onImportProgress'),
      onExportMenu: on('onExportMenu'),
      onThemeChange: on('onThemeChange'),
      ready: () => calls.push('ready'),
    };
    return { preload, calls, listeners };
  }
  const captureInfo = { id: 'c1', state: 'running' as const, startedAt: 1, stoppedAt: 0, queries: 0 };

  it('maps every request channel to its preload method', async () => {
    const { preload, calls } = recordingPreload();
    const bridge = createBridge({ [PRELOAD_GLOBAL]: preload } as unknown as Window & typeof globalThis);
    expect(bridge.transport).toBe('ipc');
    await bridge.invoke('capture:start', undefined);
    await bridge.invoke('capture:stop', undefined);
    await bridge.invoke('capture:snapshot', { rangeMinutes: 15 });
    await bridge.invoke('query:list', { limit: 7 });
    await bridge.invoke('status:get', undefined);
    expect(await bridge.invoke('export:csv', { client: '10.0.0.1' })).toEqual({
      saved: true,
      path: '/tmp/x.csv',
    });
    expect(await bridge.invoke('export:pcap', { exportId: 'e-1' })).toEqual({
      saved: true,
      path: '/tmp/x.pcap',
    });
    expect(await bridge.invoke('export:png', {})).toEqual({ saved: false, path: '' });
    expect(await bridge.invoke('export:bundle', { name: 'avira' })).toEqual({
      saved: true,
      path: '/tmp/x.zip',
    });
    expect(await bridge.invoke('device:rename', { address: '10.0.0.1', name: 'Router' })).toMatchObject({
      name: 'Router',
    });
    expect(await bridge.invoke('device:set-routers', { addresses: ['10.0.0.1'] })).toEqual([
      deviceAt('10.0.0.1', { isRouter: true }),
    ]);
    expect(await bridge.invoke('watch:report', undefined)).toBe(REPORT);
    await bridge.invoke('watch:rules', undefined);
    await bridge.invoke('watch:update', { id: 'avira-safethings', block: 'nxdomain' });
    await bridge.invoke('watch:save-rule', {
      vendor: 'Acme',
      integration: 'x',
      patterns: ['a.example', 'b.example'],
      category: 'vendor-cloud',
      explanation: '',
    });
    await bridge.invoke('watch:remove-rule', { id: 'user-1' });
    await bridge.invoke('watch:minutes', { rangeMinutes: 90 });
    expect(await bridge.invoke('marker:add', { label: 'off' })).toEqual({ id: 'm-1', ts: 1, label: 'off' });
    await bridge.invoke('marker:remove', { id: 'm-1' });
    await bridge.invoke('watch-settings:get', undefined);
    expect(await bridge.invoke('watch-settings:router-model', { model: 'Deco X68 v1' })).toEqual({
      routerModel: 'Deco X68 v1',
      correlationWindowS: 3,
    });
    expect(await bridge.invoke('watch-settings:correlation-window', { seconds: 5 })).toEqual({
      routerModel: '',
      correlationWindowS: 5,
    });
    await bridge.invoke('config:get', undefined);
    expect(
      await bridge.invoke('config:save', {
        listen: [],
        upstreams: [],
        allow: [],
        retentionDays: -1,
        dataDir: '',
      }),
    ).toEqual({ ok: false, errors: { retentionDays: 'x' } });
    expect(await bridge.invoke('theme:get', undefined)).toEqual({ theme: 'system' });
    expect(await bridge.invoke('theme:set', { theme: 'dark' })).toEqual({ theme: 'dark' });
    await bridge.invoke('setup:state', { since: 9 });
    await bridge.invoke('setup:self-test', undefined);
    expect(await bridge.invoke('setup:progress', { brand: 'netgear' })).toMatchObject({ brand: 'netgear' });
    expect(calls).toEqual([
      'startCapture',
      'stopCapture',
      'snapshot:15',
      'listQueries:7',
      'getStatus',
      'exportCsv:10.0.0.1',
      'exportPcap:e-1',
      'exportPng',
      'exportBundle:avira',
      'renameDevice:10.0.0.1=Router',
      'setRouters:10.0.0.1',
      'watchReport',
      'watchRules',
      'updateWatchRule:avira-safethings=nxdomain',
      'saveWatchRule:a.example+b.example',
      'removeWatchRule:user-1',
      'watchMinutes:90',
      'addMarker:off',
      'removeMarker:m-1',
      'getWatchSettings',
      'setRouterModel:Deco X68 v1',
      'setCorrelationWindow:5',
      'getConfig',
      'saveConfig:-1',
      'getTheme',
      'setTheme:dark',
      'setupState:9',
      'selfTest',
      'saveSetupProgress:netgear',
    ]);
  });

  it('subscribes through the listeners, says ready once after them, and reports the stream open', async () => {
    const { preload, calls, listeners } = recordingPreload();
    const bridge = createBridge({ [PRELOAD_GLOBAL]: preload } as unknown as Window & typeof globalThis);
    const batches: unknown[] = [];
    const states: string[] = [];
    const off = bridge.on('query:batch', (b) => batches.push(b));
    bridge.on('engine:status', () => {});
    bridge.on('engine:warning', () => {});
    const devices: unknown[] = [];
    bridge.on('device:update', (d) => devices.push(d));
    const alerts: unknown[] = [];
    bridge.on('watch:report', () => {});
    bridge.on('watch:alert', (a) => alerts.push(a));
    const commands: unknown[] = [];
    bridge.on('ui:command', (c) => commands.push(c));
    bridge.onConnection((s) => states.push(s));
    await Promise.resolve();
    expect(calls).toEqual([
      'onQueryBatch',
      'onStatus',
      'onWarning',
      'onDeviceUpdate',
      'onWatchReport',
      'onWatchAlert',
      'onUiCommand',
      'ready',
    ]);
    listeners['onUiCommand']?.[0]?.({ command: 'focus-search' });
    expect(commands).toEqual([{ command: 'focus-search' }]);
    listeners['onWatchAlert']?.[0]?.({ rule: 'avira-safethings' });
    expect(alerts).toEqual([{ rule: 'avira-safethings' }]);
    listeners['onDeviceUpdate']?.[0]?.(deviceAt('10.0.0.1', { name: 'Router' }));
    expect(devices).toEqual([deviceAt('10.0.0.1', { name: 'Router' })]);
    expect(states).toEqual(['open']);
    listeners['onQueryBatch']?.[0]?.({ batch: 1, events: [], dropped: 0 });
    expect(batches).toHaveLength(1);
    off();
    bridge.on('query:batch', () => {});
    await Promise.resolve();
    expect(calls.filter((c) => c === 'ready')).toHaveLength(1);
    expect(calls).toContain('off:onQueryBatch');
  });
});
