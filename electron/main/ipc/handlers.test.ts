import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserWindow } from 'electron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  CAPTURE,
  deviceInfo,
  fakeEngine,
  queryEvent,
  RULES,
  statusAt,
  watchReport,
} from '../testing/fake-engine';
import type { FakeEngine } from '../testing/fake-engine';
import { dialog, FakeBrowserWindow, fakeFrame, ipcMain } from '../testing/fake-electron';
import { exportFileName } from '@shared/export-name';
import { writeCsvFile } from './export-csv';
import { setupRequests } from './requests';
import { trustWindow } from './trusted-windows';

vi.mock('electron', () => import('../testing/fake-electron'));

let engine: FakeEngine;
let win: FakeBrowserWindow;
let dir: string;

function call(channel: string, ...args: unknown[]): Promise<unknown> {
  return ipcMain.invoke(
    { sender: win.webContents, senderFrame: fakeFrame('app://dns-witness/index.html') },
    channel,
    ...args,
  );
}

beforeEach(async () => {
  engine = fakeEngine();
  win = new FakeBrowserWindow();
  trustWindow(win as unknown as BrowserWindow);
  setupRequests(engine);
  dir = await mkdtemp(join(tmpdir(), 'dns-witness-export-'));
  dialog.showSaveDialog.mockReset();
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('request handlers', () => {
  it('route each request to the engine with the validated arguments', async () => {
    expect(await call('capture:start')).toEqual(CAPTURE);
    expect(await call('capture:stop')).toMatchObject({ state: 'stopped' });
    expect(await call('capture:snapshot', { rangeMinutes: 60 })).toMatchObject({ captures: [CAPTURE] });
    expect(engine.snapshot).toHaveBeenCalledWith({ rangeMinutes: 60 });
    expect(await call('query:list', { client: '192.168.0.1', offset: 10, limit: 20 })).toEqual({
      total: 1,
      offset: 10,
      limit: 20,
      events: [queryEvent(1)],
    });
    expect(engine.queries).toHaveBeenCalledWith({ client: '192.168.0.1', offset: 10, limit: 20 });
    expect(await call('status:get')).toEqual(statusAt(2));
  });

  it('refuse arguments on channels that take none, and bad snapshot ranges', async () => {
    await expect(call('capture:start', { force: true })).rejects.toThrow(
      /invalid arguments for capture:start/,
    );
    await expect(call('capture:snapshot', { rangeMinutes: -1 })).rejects.toThrow(
      /invalid arguments for capture:snapshot at rangeMinutes/,
    );
    expect(engine.startCapture).not.toHaveBeenCalled();
    expect(engine.snapshot).not.toHaveBeenCalled();
  });
});

describe('device requests', () => {
  it('rename a device with the name trimmed, and name the router', async () => {
    expect(await call('device:rename', { address: '192.168.0.7', name: '  Anna’s phone  ' })).toEqual(
      deviceInfo('192.168.0.7', 'Anna’s phone'),
    );
    expect(engine.renameDevice).toHaveBeenCalledWith('192.168.0.7', 'Anna’s phone');
    expect(await call('device:rename', { address: 'fe80::1', name: '' })).toMatchObject({ name: '' });
    expect(await call('device:set-routers', { addresses: ['192.168.0.254'] })).toEqual([
      { ...deviceInfo('192.168.0.254'), isRouter: true },
    ]);
    expect(engine.setRouters).toHaveBeenCalledWith(['192.168.0.254']);
  });

  it('refuse bad names and addresses with a message for the user, before the engine sees them', async () => {
    await expect(call('device:rename', { address: '192.168.0.7', name: 'x'.repeat(65) })).rejects.toThrow(
      'invalid arguments for device:rename at name: A device name can have at most 64 characters.',
    );
    await expect(call('device:rename', { address: '192.168.0.7', name: 'two\nlines' })).rejects.toThrow(
      /at name: A device name cannot contain control characters/,
    );
    await expect(call('device:rename', { address: 'kitchen', name: 'x' })).rejects.toThrow(
      /at address: not an IP address/,
    );
    await expect(call('device:rename', { address: '192.168.0.7' })).rejects.toThrow(/at name/);
    await expect(call('device:set-routers', { addresses: ['router.lan'] })).rejects.toThrow(
      /device:set-routers at addresses\.0: not an IP address/,
    );
    await expect(call('device:set-routers', ['192.168.0.1'])).rejects.toThrow(/invalid arguments/);
    expect(engine.renameDevice).not.toHaveBeenCalled();
    expect(engine.setRouters).not.toHaveBeenCalled();
  });
});

describe('watchlist requests', () => {
  it('report, list and switch rules, with blocking', async () => {
    expect(await call('watch:report')).toEqual(watchReport());
    expect(await call('watch:rules')).toBe(RULES);
    expect(await call('watch:update', { id: 'avira-safethings', block: 'nxdomain' })).toMatchObject({
      id: 'avira-safethings',
      block: 'nxdomain',
    });
    expect(engine.updateWatchRule).toHaveBeenCalledWith('avira-safethings', { block: 'nxdomain' });
    await call('watch:update', { id: 'asus-dns-probe', enabled: false });
    expect(engine.updateWatchRule).toHaveBeenLastCalledWith('asus-dns-probe', { enabled: false });
    expect(await call('watch:minutes', { rangeMinutes: 60 })).toMatchObject({ lastSeq: 7 });
    expect(engine.watchMinutes).toHaveBeenCalledWith(60);
  });

  it('save and remove own rules with the patterns trimmed and blank lines dropped', async () => {
    const rule = {
      vendor: ' Acme ',
      integration: 'Acme cloud',
      patterns: ['=telemetry.acme.example', ' ', ' *.acme-cloud.example '],
      category: 'vendor-cloud',
      explanation: '',
    };
    expect(await call('watch:save-rule', rule)).toMatchObject({ id: 'user-0000abcd', builtIn: false });
    expect(engine.saveWatchRule).toHaveBeenCalledWith({
      ...rule,
      vendor: 'Acme',
      patterns: ['=telemetry.acme.example', '*.acme-cloud.example'],
    });
    expect(await call('watch:remove-rule', { id: 'user-0000abcd' })).toBeNull();
    expect(engine.removeWatchRule).toHaveBeenCalledWith('user-0000abcd');
  });

  it('refuse bad rules with the words the engine uses, before the engine sees them', async () => {
    const base = { vendor: 'Acme', integration: 'x', category: 'vendor-cloud', explanation: '' };
    await expect(call('watch:save-rule', { ...base, patterns: [' '] })).rejects.toThrow(
      'invalid arguments for watch:save-rule at patterns: a rule needs at least one pattern, e.g. safethings.avira.com',
    );
    await expect(call('watch:save-rule', { ...base, patterns: ['bad name.example'] })).rejects.toThrow(
      /at patterns: "bad name" has characters a DNS name cannot have/,
    );
    await expect(call('watch:save-rule', { ...base, patterns: ['a..example'] })).rejects.toThrow(
      /empty label/,
    );
    await expect(
      call('watch:save-rule', { ...base, id: 'avira-safethings', patterns: ['a.example'] }),
    ).rejects.toThrow(/at id: built-in rules can be switched off, not edited/);
    await expect(
      call('watch:save-rule', { ...base, category: 'spyware', patterns: ['a.example'] }),
    ).rejects.toThrow(/at category/);
    await expect(call('watch:update', { id: 'avira-safethings' })).rejects.toThrow(
      /nothing to change: give enabled or block/,
    );
    await expect(call('watch:update', { id: 'avira-safethings', block: 'drop' })).rejects.toThrow(/at block/);
    await expect(call('watch:remove-rule', { id: '../etc' })).rejects.toThrow(/at id/);
    expect(engine.saveWatchRule).not.toHaveBeenCalled();
    expect(engine.updateWatchRule).not.toHaveBeenCalled();
    expect(engine.removeWatchRule).not.toHaveBeenCalled();
  });

  it('add and remove markers, and save the router model', async () => {
    const marker = await call('marker:add', { label: '  HomeShield switched off ', ts: 1_700_000_100_000 });
    expect(marker).toEqual({ id: 'm-0', ts: 1_700_000_100_000, label: 'HomeShield switched off' });
    expect(await call('marker:add', { label: 'firmware updated' })).toMatchObject({ id: 'm-1' });
    expect(engine.addMarker).toHaveBeenLastCalledWith('firmware updated', undefined);
    expect(((await call('watch:report')) as { markers: unknown[] }).markers).toHaveLength(2);
    expect(await call('marker:remove', { id: 'm-0' })).toBeNull();
    expect(((await call('watch:report')) as { markers: unknown[] }).markers).toHaveLength(1);
    await expect(call('marker:add', { label: '   ' })).rejects.toThrow(
      'invalid arguments for marker:add at label: a marker needs a label, e.g. "HomeShield switched off"',
    );
    await expect(call('marker:add', { label: 'x'.repeat(121) })).rejects.toThrow(/at most 120 characters/);
    await expect(call('marker:add', { label: 'x', ts: -5 })).rejects.toThrow(/at ts/);

    expect(await call('watch-settings:get')).toEqual({ routerModel: '', correlationWindowS: 3 });
    expect(await call('watch-settings:router-model', { model: ' Archer AX55 v1 ' })).toEqual({
      routerModel: 'Archer AX55 v1',
      correlationWindowS: 3,
    });
    expect(await call('watch-settings:correlation-window', { seconds: 1.5 })).toEqual({
      routerModel: 'Archer AX55 v1',
      correlationWindowS: 1.5,
    });
    await expect(call('watch-settings:correlation-window', { seconds: 0 })).rejects.toThrow(/at least 0.1 s/);
    await expect(call('watch-settings:correlation-window', { seconds: 61 })).rejects.toThrow(/at most 60 s/);
    await expect(call('watch-settings:correlation-window', { seconds: '3' })).rejects.toThrow(
      /number of seconds/,
    );
    await expect(call('watch-settings:router-model', { model: 'a\nb' })).rejects.toThrow(
      /control characters/,
    );
    await expect(call('watch-settings:router-model', {})).rejects.toThrow(/at model/);
  });
});

describe('setup and settings handlers', () => {
  it('route to the engine, and refuse payloads outside the schema before it runs', async () => {
    const values = { listen: ['192.168.0.23'], upstreams: [], allow: [], retentionDays: 7, dataDir: '' };
    expect(await call('config:save', values)).toMatchObject({ ok: true, applied: ['retentionDays'] });
    expect(engine.saveConfig).toHaveBeenLastCalledWith(values);
    expect(await call('config:save', { ...values, retentionDays: -1 })).toEqual({
      ok: false,
      errors: { retentionDays: 'Enter whole days.' },
    });
    await expect(call('config:save', { ...values, extra: 1 })).rejects.toThrow(
      /invalid arguments for config:save/,
    );
    expect(await call('config:get')).toMatchObject({ values: { retentionDays: 7 } });
    expect(await call('setup:state', { since: 0 })).toMatchObject({
      routerQuery: { address: '192.168.0.1' },
    });
    await expect(call('setup:state', { since: -1 })).rejects.toThrow(/at since/);
    expect(await call('setup:self-test')).toEqual([]);
    expect(
      await call('setup:progress', { brand: 'tplink-archer', wanChanged: true, previousWan: ' auto ' }),
    ).toMatchObject({
      brand: 'tplink-archer',
      wanChanged: true,
      previousWan: 'auto',
    });
    await expect(call('setup:progress', { brand: 'linksys' })).rejects.toThrow(/at brand/);
    expect(await call('theme:get')).toEqual({ theme: 'system' });
    expect(await call('theme:set', { theme: 'dark' })).toEqual({ theme: 'dark' });
    expect(engine.setTheme).toHaveBeenLastCalledWith('dark');
    await expect(call('theme:set', { theme: 'sepia' })).rejects.toThrow(
      /invalid arguments for theme:set at theme/,
    );
    await expect(call('theme:set', { theme: 'light', font: 'big' })).rejects.toThrow(/theme:set/);
    expect(await call('theme:get')).toEqual({ theme: 'dark' });
    expect(engine.restoreGuidance()).toContain(
      'Advanced → Network → Internet: set back to “auto” (as it was)',
    );
  });
});

describe('export:csv', () => {
  it('streams the filtered CSV to the path the dialog returned', async () => {
    const target = join(dir, 'queries.csv');
    dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: target });
    const result = await call('export:csv', { client: '192.168.0.1', name: 'avira' });
    expect(result).toEqual({ saved: true, path: target });
    expect(await readFile(target, 'utf8')).toBe('seq,time\n1,a\n2,b\n');
    expect(engine.csv).toHaveBeenCalledWith({ client: '192.168.0.1', name: 'avira' });
    // The dialog is attached to the asking window and proposes a .csv name for that client.
    const [parent, options] = dialog.showSaveDialog.mock.calls[0] as [
      unknown,
      { defaultPath: string; properties: string[] },
    ];
    expect(parent).toBe(win);
    expect(options.defaultPath).toMatch(/dns-witness-192\.168\.0\.1-\d{4}-\d\d-\d\dT\d{4}\.csv$/);
    // An existing file is replaced only after the dialog asked (macOS and Windows always ask; Linux on this flag).
    expect(options.properties).toContain('showOverwriteConfirmation');
    expect(await readdir(dir)).toEqual(['queries.csv']);
  });

  it('writes nothing when the dialog is cancelled', async () => {
    dialog.showSaveDialog.mockResolvedValue({ canceled: true, filePath: '' });
    expect(await call('export:csv', {})).toEqual({ saved: false, path: '' });
    expect(engine.csv).not.toHaveBeenCalled();
    expect(await readdir(dir)).toEqual([]);
  });

  it('leaves an existing file intact and no partial file behind when the stream fails', async () => {
    const target = join(dir, 'queries.csv');
    await writeFile(target, 'previous export\n');
    engine.csvChunks = ['seq,time\n', new Error('journal unreadable')];
    dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: target });
    await expect(call('export:csv', {})).rejects.toThrow(/journal unreadable/);
    expect(await readFile(target, 'utf8')).toBe('previous export\n');
    expect(await readdir(dir)).toEqual(['queries.csv']);
  });

  it('validates the filter before opening any dialog', async () => {
    await expect(call('export:csv', { captureId: '../../etc' })).rejects.toThrow(
      /invalid arguments for export:csv at captureId/,
    );
    expect(dialog.showSaveDialog).not.toHaveBeenCalled();
  });
});

describe('import:file', () => {
  const req = { id: 'imp-0123456789', format: 'auto', name: 'AdGuard', routers: ['192.168.0.1'] };

  it('imports the file the open dialog returned, in the engine, named as chosen', async () => {
    dialog.showOpenDialog.mockResolvedValue({ canceled: false, filePaths: ['/home/me/logs/querylog.json'] });
    expect(await call('import:file', req)).toEqual({ id: 'imp-0123456789' });
    expect(engine.startImport).toHaveBeenCalledWith({
      ...req,
      keepPartial: false,
      path: '/home/me/logs/querylog.json',
      fileName: 'querylog.json',
      temporary: false,
    });
    const [parent, options] = dialog.showOpenDialog.mock.calls[0] as [unknown, { properties: string[] }];
    expect(parent).toBe(win);
    expect(options.properties).toEqual(['openFile']);
  });

  it('imports nothing when the dialog is cancelled, and refuses a page that names a path', async () => {
    dialog.showOpenDialog.mockResolvedValue({ canceled: true, filePaths: [] });
    expect(await call('import:file', req)).toBeNull();
    await expect(call('import:file', { ...req, path: '/etc/shadow' })).rejects.toThrow(
      /invalid arguments for import:file/,
    );
    expect(engine.startImport).not.toHaveBeenCalled();
  });

  it('passes import:cancel to the engine', async () => {
    expect(await call('import:cancel', { id: 'imp-0123456789' })).toBe(false);
    expect(engine.cancelImport).toHaveBeenCalledWith('imp-0123456789');
  });
});

describe('writeCsvFile()', () => {
  it('replaces a file the user confirmed in the dialog', async () => {
    const target = join(dir, 'out.csv');
    await writeFile(target, 'old\n');
    await writeCsvFile(
      target,
      (async function* () {
        yield 'a,b\n';
        yield '1,2\n';
      })(),
    );
    expect(await readFile(target, 'utf8')).toBe('a,b\n1,2\n');
  });

  it('names files safely even for IPv6 clients', () => {
    const name = exportFileName('csv', { client: 'fe80::1%eth0' }, Date.UTC(2026, 10, 23, 1, 5));
    expect(name).toMatch(/^dns-witness-fe80--1-eth0-\d{4}-\d\d-\d\dT\d{4}\.csv$/);
    expect(exportFileName('csv', {}, Date.UTC(2026, 10, 23, 1, 5))).toMatch(
      /^dns-witness-\d{4}-\d\d-\d\dT\d{4}\.csv$/,
    );
  });
});
