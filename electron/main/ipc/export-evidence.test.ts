import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserWindow } from 'electron';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { dialog, FakeBrowserWindow, fakeFrame, ipcMain } from '../testing/fake-electron';
import { fakeEngine, type FakeEngine } from '../testing/fake-engine';
import { exportFileName } from '@shared/export-name';
import type { BundleOptions } from '../../engine/export/exporter';
import { printReportPdf } from '../report-pdf';
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
  dir = await mkdtemp(join(tmpdir(), 'dns-witness-evidence-'));
  dialog.showSaveDialog.mockReset();
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('evidence exports on the desktop', () => {
  it('streams the pcap to the chosen file', async () => {
    const target = join(dir, 'dns.pcap');
    dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: target });
    expect(await call('export:pcap', { client: '192.168.0.1', exportId: 'pcap-1' })).toEqual({
      saved: true,
      path: target,
    });
    expect([...(await readFile(target))]).toEqual([0xd4, 0xc3, 0xb2, 0xa1]);
    expect(engine.pcap).toHaveBeenCalledWith({ client: '192.168.0.1', exportId: 'pcap-1' });
    const [, options] = dialog.showSaveDialog.mock.calls[0] as [unknown, { defaultPath: string }];
    expect(options.defaultPath).toMatch(/dns-witness-192\.168\.0\.1-\d{4}-\d\d-\d\dT\d{4}\.pcap$/);
  });

  it('captures the window before the dialog and saves it as PNG', async () => {
    const target = join(dir, 'dashboard.png');
    win.webContents.capturedPng = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2]);
    dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: target });
    expect(await call('export:png', {})).toEqual({ saved: true, path: target });
    expect([...(await readFile(target))]).toEqual([0x89, 0x50, 0x4e, 0x47, 1, 2]);
  });

  it('puts the captured window into the bundle', async () => {
    const target = join(dir, 'evidence.zip');
    dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: target });
    expect(await call('export:bundle', { name: 'avira' })).toEqual({ saved: true, path: target });
    const bytes = [...(await readFile(target))];
    expect(bytes.slice(0, 4)).toEqual([0x50, 0x4b, 0x05, 0x06]);
    expect(bytes.slice(4)).toEqual([0x89, 0x50, 0x4e, 0x47]);
    expect(await readdir(dir)).toEqual(['evidence.zip']);
  });

  it('prints report.html to report.pdf in a hidden window without JavaScript, for the bundle', async () => {
    const target = join(dir, 'evidence.zip');
    dialog.showSaveDialog.mockResolvedValue({ canceled: false, filePath: target });
    await call('export:bundle', {});
    const opts = vi.mocked(engine.bundle).mock.calls[0]![3] as BundleOptions;
    expect(opts.reportPdf).toBeTypeOf('function');
    const html = '<!doctype html><title>r</title><p>Router 192.168.0.1 looked up … “quoted” ☕</p>';
    const pdf = await opts.reportPdf!(html);
    expect(Buffer.from(pdf!).toString('latin1')).toMatch(/^%PDF-/);
    const printer = FakeBrowserWindow.created.at(-1)!;
    expect(printer).not.toBe(win);
    expect(printer.options).toMatchObject({
      show: false,
      webPreferences: { sandbox: true, contextIsolation: true, nodeIntegration: false, javascript: false },
    });
    const url = printer.loadedUrls[0]!;
    expect(url).toMatch(/^data:text\/html;charset=utf-8;base64,/);
    expect(Buffer.from(url.split(',')[1]!, 'base64').toString('utf8')).toBe(html);
    expect(printer.webContents.printToPDF).toHaveBeenCalledWith(
      expect.objectContaining({ pageSize: 'A4', printBackground: true, preferCSSPageSize: true }),
    );
    expect(printer.isDestroyed()).toBe(true);
    // A page that cannot be printed: rejected (the exporter then leaves report.pdf out), window closed.
    const failing = printReportPdf(html);
    const next = FakeBrowserWindow.created.at(-1)!;
    next.webContents.printedPdf = null;
    await expect(failing).rejects.toThrow('printing failed');
    expect(next.isDestroyed()).toBe(true);
  });

  it('writes nothing when cancelled, and refuses a window that cannot be captured', async () => {
    dialog.showSaveDialog.mockResolvedValue({ canceled: true, filePath: '' });
    expect(await call('export:bundle', {})).toEqual({ saved: false, path: '' });
    expect(engine.bundle).not.toHaveBeenCalled();
    win.webContents.capturedPng = new Uint8Array(0);
    await expect(call('export:png', {})).rejects.toThrow(/could not be captured/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('names files by kind and device', () => {
    const now = Date.UTC(2026, 10, 23, 1, 5);
    expect(exportFileName('bundle', { client: 'fe80::1' }, now)).toMatch(/^dns-witness-evidence-fe80--1-/);
    expect(exportFileName('png', {}, now)).toMatch(/^dns-witness-dashboard-\d{4}-\d\d-\d\dT\d{4}\.png$/);
  });
});
