import type { BrowserWindow } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import type { DeviceInfo, EngineWarning, QueryBatch } from '@shared/events';
import type { ImportProgress } from '@shared/import';
import { ALERT, batch, deviceInfo, fakeEngine, statusAt, watchReport } from '../testing/fake-engine';
import { FakeBrowserWindow, fakeFrame, ipcMain } from '../testing/fake-electron';
import { READY_CHANNEL } from './channels';
import { setupEngineEvents } from './engine-events';
import {
  MAX_HELD_ALERTS,
  MAX_HELD_BATCHES,
  MAX_HELD_DEVICES,
  MAX_HELD_IMPORTS,
  MAX_HELD_WARNINGS,
  send,
  setupReadySignal,
} from './send';
import { trustWindow } from './trusted-windows';

vi.mock('electron', () => import('../testing/fake-electron'));

setupReadySignal();

function openWindow(): { win: FakeBrowserWindow; real: BrowserWindow; ready: () => void } {
  const win = new FakeBrowserWindow();
  const real = win as unknown as BrowserWindow;
  trustWindow(real);
  const ready = (): void =>
    ipcMain.emitFrom(
      { sender: win.webContents, senderFrame: fakeFrame('app://dns-witness/index.html') },
      READY_CHANNEL,
    );
  return { win, real, ready };
}

const warning = (n: number): EngineWarning => ({ code: 'overload', message: `w${n}`, ts: n, count: n });

describe('send()', () => {
  it('holds messages until the renderer is ready, then delivers them in order', () => {
    const { win, real, ready } = openWindow();
    send(real, 'query:batch', batch(1, 2));
    send(real, 'engine:warning', warning(1));
    send(real, 'query:batch', batch(2, 1));
    expect(win.webContents.sent).toEqual([]);
    ready();
    expect(win.webContents.sent.map((m) => m.channel)).toEqual([
      'query:batch',
      'engine:warning',
      'query:batch',
    ]);
    expect((win.webContents.sent[2]?.payload as QueryBatch).batch).toBe(2);
    send(real, 'engine:status', statusAt(5));
    expect(win.webContents.sent).toHaveLength(4);
  });

  it('keeps only the latest status while not ready', () => {
    const { win, real, ready } = openWindow();
    for (let i = 1; i <= 5; i++) send(real, 'engine:status', statusAt(i));
    ready();
    expect(win.webContents.sent).toEqual([{ channel: 'engine:status', payload: statusAt(5) }]);
  });

  it('bounds held batches, dropping the oldest and counting their events in the next one', () => {
    const { win, real, ready } = openWindow();
    const total = MAX_HELD_BATCHES + 10;
    for (let i = 1; i <= total; i++) send(real, 'query:batch', batch(i, 3, i === 1 ? 4 : 0));
    ready();
    const delivered = win.webContents.sent.map((m) => m.payload as QueryBatch);
    expect(delivered).toHaveLength(MAX_HELD_BATCHES);
    expect(delivered[0]?.batch).toBe(11);
    // Ten batches of 3 events were dropped, plus the 4 the first batch already reported.
    expect(delivered[0]?.dropped).toBe(10 * 3 + 4);
    expect(delivered.slice(1).every((b) => b.dropped === 0)).toBe(true);
    expect(delivered.at(-1)?.batch).toBe(total);
  });

  it('bounds held warnings', () => {
    const { win, real, ready } = openWindow();
    for (let i = 1; i <= MAX_HELD_WARNINGS + 5; i++) send(real, 'engine:warning', warning(i));
    ready();
    const delivered = win.webContents.sent.map((m) => m.payload as EngineWarning);
    expect(delivered).toHaveLength(MAX_HELD_WARNINGS);
    expect(delivered[0]?.message).toBe('w6');
  });

  it('keeps only the latest update of each device while not ready, and a bounded number of devices', () => {
    const { win, real, ready } = openWindow();
    send(real, 'device:update', deviceInfo('192.168.0.1'));
    send(real, 'device:update', deviceInfo('192.168.0.7'));
    send(real, 'device:update', deviceInfo('192.168.0.1', 'Router'));
    ready();
    expect(win.webContents.sent.map((m) => m.payload)).toEqual([
      deviceInfo('192.168.0.7'),
      deviceInfo('192.168.0.1', 'Router'),
    ]);

    const second = openWindow();
    for (let i = 0; i < MAX_HELD_DEVICES + 3; i++)
      send(second.real, 'device:update', deviceInfo(`10.0.${i >> 8}.${i & 255}`));
    second.ready();
    const held = second.win.webContents.sent.map((m) => (m.payload as DeviceInfo).address);
    expect(held).toHaveLength(MAX_HELD_DEVICES);
    expect(held[0]).toBe('10.0.0.3');
  });

  it('keeps only the latest progress of each import while not ready, and a bounded number of imports', () => {
    const progress = (id: string, state: ImportProgress['state'], queries = 0): ImportProgress => ({
      id,
      state,
      file: 'querylog.json',
      bytes: queries,
      totalBytes: 100,
      queries,
      skipped: 0,
      rate: 0,
      message: '',
      captureId: '',
      partial: false,
    });
    const { win, real, ready } = openWindow();
    send(real, 'import:progress', progress('imp-aaaaaaaa', 'running', 10));
    send(real, 'import:progress', progress('imp-bbbbbbbb', 'running', 5));
    send(real, 'import:progress', progress('imp-aaaaaaaa', 'done', 100));
    ready();
    expect(win.webContents.sent.map((m) => m.payload)).toEqual([
      progress('imp-bbbbbbbb', 'running', 5),
      progress('imp-aaaaaaaa', 'done', 100),
    ]);

    const second = openWindow();
    for (let i = 0; i < MAX_HELD_IMPORTS + 2; i++)
      send(second.real, 'import:progress', progress(`imp-${String(i).padStart(8, '0')}`, 'failed'));
    second.ready();
    const held = second.win.webContents.sent.map((m) => (m.payload as ImportProgress).id);
    expect(held).toHaveLength(MAX_HELD_IMPORTS);
    expect(held[0]).toBe('imp-00000002');
  });

  it('keeps only the latest watchlist report and a bounded number of alerts while not ready', () => {
    const { win, real, ready } = openWindow();
    send(real, 'watch:report', watchReport());
    send(real, 'watch:alert', ALERT);
    const latest = watchReport([{ id: 'm-1', ts: 5, label: 'HomeShield switched off' }]);
    send(real, 'watch:report', latest);
    for (let i = 0; i < MAX_HELD_ALERTS + 2; i++) send(real, 'watch:alert', { ...ALERT, ts: i });
    ready();
    const sent = win.webContents.sent;
    expect(sent.filter((m) => m.channel === 'watch:report').map((m) => m.payload)).toEqual([latest]);
    const alerts = sent.filter((m) => m.channel === 'watch:alert').map((m) => (m.payload as typeof ALERT).ts);
    expect(alerts).toHaveLength(MAX_HELD_ALERTS);
    expect(alerts[0]).toBe(2);
  });

  it('ignores ready() from a sender that is not one of our windows', () => {
    const { win, real } = openWindow();
    send(real, 'engine:warning', warning(1));
    ipcMain.emitFrom(
      { sender: win.webContents, senderFrame: fakeFrame('https://evil.example/') },
      READY_CHANNEL,
    );
    const stranger = new FakeBrowserWindow();
    ipcMain.emitFrom(
      { sender: stranger.webContents, senderFrame: fakeFrame('app://dns-witness/index.html') },
      READY_CHANNEL,
    );
    expect(win.webContents.sent).toEqual([]);
  });

  it('holds again after the page navigates (reload) until it says ready again', () => {
    const { win, real, ready } = openWindow();
    ready();
    send(real, 'engine:warning', warning(1));
    win.webContents.navigate();
    send(real, 'engine:warning', warning(2));
    expect(win.webContents.sent).toHaveLength(1);
    ready();
    expect(win.webContents.sent.map((m) => (m.payload as EngineWarning).message)).toEqual(['w1', 'w2']);
  });

  it('ignores a closed window without throwing', () => {
    const { win, real, ready } = openWindow();
    ready();
    win.close();
    expect(() => send(real, 'engine:warning', warning(1))).not.toThrow();
    expect(win.webContents.sent).toEqual([]);
  });
});

describe('setupEngineEvents()', () => {
  it('forwards batches, status, warnings, devices, the watchlist, export progress and the theme to the window and unsubscribes when it closes', () => {
    const engine = fakeEngine();
    const { win, real, ready } = openWindow();
    setupEngineEvents(engine, real);
    expect(engine.listenerCount()).toBe(8);
    ready();
    engine.emitBatch(batch(1, 1));
    engine.emitStatus(statusAt(9));
    engine.emitWarning(warning(3));
    engine.emitDevice(deviceInfo('192.168.0.1'));
    engine.emitWatchReport(watchReport());
    engine.emitWatchAlert(ALERT);
    const progress = {
      exportId: 'csv-1',
      kind: 'csv',
      state: 'running',
      rows: 5,
      total: 10,
      bytes: 500,
      message: '',
    } as const;
    engine.emitExportProgress(progress);
    engine.emitTheme({ theme: 'dark' });
    expect(win.webContents.sent.map((m) => m.channel)).toEqual([
      'query:batch',
      'engine:status',
      'engine:warning',
      'device:update',
      'watch:report',
      'watch:alert',
      'export:progress',
      'theme:change',
    ]);
    expect(win.webContents.sent.at(-3)?.payload).toEqual(ALERT);
    expect(win.webContents.sent.at(-2)?.payload).toEqual(progress);
    expect(win.webContents.sent.at(-1)?.payload).toEqual({ theme: 'dark' });
    win.close();
    expect(engine.listenerCount()).toBe(0);
  });
});
