/**
 * Electron security checklist item 16 (security-checklist.test.ts has the rest): every IPC channel of the
 * table in shared/contract.ts is registered in main and refuses a sender that is not our window's top frame
 * on app://dns-witness.
 */
import type { BrowserWindow } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { REQUEST_CHANNELS } from '@shared/contract';
import { APP_ENTRY_URL } from '../app-origin';
import { fakeEngine } from '../testing/fake-engine';
import { FakeBrowserWindow, fakeFrame, ipcMain } from '../testing/fake-electron';
import { READY_CHANNEL } from './channels';
import { setupRequests } from './requests';
import { setupReadySignal } from './send';
import { trustWindow } from './trusted-windows';

vi.mock('electron', () => import('../testing/fake-electron'));

describe('Electron security checklist', () => {
  it('16. answers IPC only from its own window, on every channel', async () => {
    const engine = fakeEngine();
    setupReadySignal();
    setupRequests(engine);
    // Every request of the table has a handler in main, and main handles nothing else.
    expect([...ipcMain.handlers.keys()].sort()).toEqual([...REQUEST_CHANNELS].sort());
    const ours = new FakeBrowserWindow();
    trustWindow(ours as unknown as BrowserWindow);
    const stranger = new FakeBrowserWindow();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      for (const channel of REQUEST_CHANNELS) {
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
    // The one fire-and-forget channel; send.test.ts checks that it ignores strangers too.
    expect(ipcMain.listeners.eventNames()).toEqual([READY_CHANNEL]);
  });
});
