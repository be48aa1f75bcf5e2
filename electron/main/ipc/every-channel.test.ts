/**
 * Electron security checklist item 16 (security-checklist.test.ts has the rest): every IPC channel main
 * registers refuses a sender that is not our window's top frame on app://dns-witness.
 */
import type { BrowserWindow } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { APP_ENTRY_URL } from '../app-origin';
import { fakeEngine } from '../testing/fake-engine';
import { FakeBrowserWindow, fakeFrame, ipcMain } from '../testing/fake-electron';
import { setupCaptureHandlers } from './capture-handlers';
import { setupDeviceHandlers } from './device-handlers';
import { setupExportHandler } from './export-csv';
import { setupQueryHandlers } from './query-handlers';
import { setupReadySignal } from './send';
import { trustWindow } from './trusted-windows';
import { setupWatchHandlers } from './watch-handlers';

vi.mock('electron', () => import('../testing/fake-electron'));

describe('Electron security checklist', () => {
  it('16. answers IPC only from its own window, on every channel', async () => {
    const engine = fakeEngine();
    setupReadySignal();
    setupCaptureHandlers(engine);
    setupQueryHandlers(engine);
    setupExportHandler(engine);
    setupDeviceHandlers(engine);
    setupWatchHandlers(engine);
    expect(ipcMain.handlers.size).toBeGreaterThanOrEqual(15);
    const ours = new FakeBrowserWindow();
    trustWindow(ours as unknown as BrowserWindow);
    const stranger = new FakeBrowserWindow();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      for (const channel of ipcMain.handlers.keys()) {
        await expect(
          ipcMain.invoke(
            { sender: stranger.webContents, senderFrame: fakeFrame(APP_ENTRY_URL) },
            channel,
            {},
          ),
          channel,
        ).rejects.toThrow(/refused, the sender is not a DNS Witness window/);
        // Our own window, but a frame showing another origin.
        await expect(
          ipcMain.invoke(
            { sender: ours.webContents, senderFrame: fakeFrame('https://attacker.example/') },
            channel,
            {},
          ),
          channel,
        ).rejects.toThrow(/refused/);
      }
    } finally {
      warn.mockRestore();
    }
  });
});
