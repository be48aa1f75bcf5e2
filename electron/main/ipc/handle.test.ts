import type { BrowserWindow } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeBrowserWindow, fakeFrame, ipcMain } from '../testing/fake-electron';
import { handle } from './handle';
import { trustDevServer, trustWindow } from './trusted-windows';

vi.mock('electron', () => import('../testing/fake-electron'));

const APP_PAGE = 'app://dns-witness/index.html';

function trustedWindow(): FakeBrowserWindow {
  const win = new FakeBrowserWindow();
  trustWindow(win as unknown as BrowserWindow);
  return win;
}

describe('handle()', () => {
  const fn = vi.fn((req: { limit?: number }) => ({ total: 0, offset: 0, limit: req.limit ?? 0, events: [] }));

  beforeEach(() => {
    fn.mockClear();
    handle('query:list', fn);
  });

  it('passes schema-valid arguments from our window to the handler and returns its result', async () => {
    const win = trustedWindow();
    const result = await ipcMain.invoke(
      { sender: win.webContents, senderFrame: fakeFrame(APP_PAGE) },
      'query:list',
      {
        name: 'avira',
        limit: 50,
      },
    );
    expect(result).toEqual({ total: 0, offset: 0, limit: 50, events: [] });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(fn.mock.calls[0]?.[0]).toEqual({ name: 'avira', limit: 50 });
  });

  it('rejects a sender that is not one of our windows', async () => {
    const stranger = new FakeBrowserWindow();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await expect(
      ipcMain.invoke({ sender: stranger.webContents, senderFrame: fakeFrame(APP_PAGE) }, 'query:list', {}),
    ).rejects.toThrow(/query:list: refused, the sender is not a DNS Witness window/);
    expect(fn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('rejects our window when its frame shows another origin, is an iframe, or is gone', async () => {
    const win = trustedWindow();
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const frames = [
      fakeFrame('https://evil.example/index.html'),
      fakeFrame('file:///etc/passwd'),
      fakeFrame('app://other-host/index.html'),
      fakeFrame(APP_PAGE, fakeFrame(APP_PAGE)),
      null,
    ];
    for (const senderFrame of frames) {
      await expect(
        ipcMain.invoke({ sender: win.webContents, senderFrame }, 'query:list', {}),
      ).rejects.toThrow(/refused/);
    }
    expect(fn).not.toHaveBeenCalled();
    vi.mocked(console.warn).mockRestore();
  });

  it('trusts the renderer dev server only once it is given (npm run dev), and only its origin', async () => {
    const win = trustedWindow();
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const from = (url: string) =>
      ipcMain.invoke({ sender: win.webContents, senderFrame: fakeFrame(url) }, 'query:list', {});
    await expect(from('http://localhost:5173/')).rejects.toThrow(/refused/);
    trustDevServer('http://localhost:5173');
    try {
      await from('http://localhost:5173/');
      await expect(from('http://localhost:5174/')).rejects.toThrow(/refused/);
      await expect(from('http://127.0.0.1:5173/')).rejects.toThrow(/refused/);
      await from(APP_PAGE);
    } finally {
      trustDevServer(null);
    }
    await expect(from('http://localhost:5173/')).rejects.toThrow(/refused/);
    expect(fn).toHaveBeenCalledTimes(2);
    vi.mocked(console.warn).mockRestore();
  });

  it('stops trusting a window once its contents are destroyed', async () => {
    const win = trustedWindow();
    const event = { sender: win.webContents, senderFrame: fakeFrame(APP_PAGE) };
    await ipcMain.invoke(event, 'query:list', {});
    win.close();
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    await expect(ipcMain.invoke(event, 'query:list', {})).rejects.toThrow(/refused/);
    vi.mocked(console.warn).mockRestore();
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('rejects invalid arguments with an error naming the channel and the field', async () => {
    const win = trustedWindow();
    const event = { sender: win.webContents, senderFrame: fakeFrame(APP_PAGE) };
    await expect(ipcMain.invoke(event, 'query:list', { limit: 5000 })).rejects.toThrow(
      /^invalid arguments for query:list at limit: /,
    );
    await expect(ipcMain.invoke(event, 'query:list', { limit: 10, extra: true })).rejects.toThrow(
      /invalid arguments for query:list/,
    );
    await expect(ipcMain.invoke(event, 'query:list', 'name=avira')).rejects.toThrow(/invalid arguments/);
    await expect(ipcMain.invoke(event, 'query:list', {}, {})).rejects.toThrow(
      /expected at most one argument/,
    );
    expect(fn).not.toHaveBeenCalled();
  });

  it('replaces an earlier handler for the same channel instead of failing', async () => {
    const second = vi.fn(() => ({ total: 7, offset: 0, limit: 1, events: [] }));
    handle('query:list', second);
    const win = trustedWindow();
    const result = await ipcMain.invoke(
      { sender: win.webContents, senderFrame: fakeFrame(APP_PAGE) },
      'query:list',
      {},
    );
    expect(result).toMatchObject({ total: 7 });
    expect(fn).not.toHaveBeenCalled();
  });
});
