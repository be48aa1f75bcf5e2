/**
 * Electron's security checklist (electronjs.org/docs/latest/tutorial/security), one test per item, run
 * against the real main-process modules with the fake 'electron' module. The detailed behaviour is tested
 * next to each module; this file keeps the whole list enforced in one place. Item 16 (validate the sender of
 * every IPC message) is in ipc/every-channel.test.ts, where lint allows ipcMain. Item 18 (fuses) belongs to
 * the packaging configuration and item 15 (a current Electron) to the dependency update, not to this code.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Session, WebContents } from 'electron';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { contentSecurityPolicy } from '@shared/csp';
import { createAppHandler, registerAppScheme } from './app-protocol';
import { APP_ENTRY_URL } from './app-origin';
import { createMainWindow } from './main-window';
import { denyAllPermissions, guardWebContents } from './security';
import type { FakeBrowserWindow } from './testing/fake-electron';
import { FakeSession, FakeWebContents, protocol, shell } from './testing/fake-electron';

vi.mock('electron', () => import('./testing/fake-electron'));

const ROOT = path.resolve(import.meta.dirname, '../..');
let prefs: Record<string, unknown>;
let win: FakeBrowserWindow;

beforeAll(() => {
  win = createMainWindow({
    preload: '/app/out/preload/index.cjs',
    placementFile: path.join(os.tmpdir(), 'dnsw-checklist-absent', 'window-state.json'),
  }) as unknown as FakeBrowserWindow;
  prefs = win.options['webPreferences'] as Record<string, unknown>;
});

/** Directives of a CSP string: name → sources. */
function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...sources]) => [name!, sources]),
  );
}

function expectStrictCsp(csp: string): void {
  const d = directives(csp);
  expect(d.get('default-src')).toEqual(["'none'"]);
  expect(d.get('script-src')).toEqual(["'self'"]);
  for (const sources of d.values()) {
    expect(sources).not.toContain("'unsafe-inline'");
    expect(sources).not.toContain("'unsafe-eval'");
    expect(sources).not.toContain('*');
    expect(sources.some((s) => s.startsWith('http:'))).toBe(false);
  }
  expect(d.get('base-uri')).toEqual(["'none'"]);
  expect(d.get('form-action')).toEqual(["'none'"]);
}

describe('Electron security checklist', () => {
  it('1. loads only its own content, over a secure custom scheme', () => {
    expect(win.loadedUrls).toEqual([APP_ENTRY_URL]);
    expect(APP_ENTRY_URL.startsWith('app://')).toBe(true);
  });

  it('2. never gives the page Node.js', () => {
    expect(prefs).toMatchObject({
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
    });
  });

  it('3. isolates the preload from the page (contextIsolation)', () => {
    expect(prefs['contextIsolation']).toBe(true);
  });

  it('4. sandboxes the renderer', () => {
    expect(prefs['sandbox']).toBe(true);
  });

  it('5. denies every permission request and check', () => {
    const ses = new FakeSession();
    denyAllPermissions(ses as unknown as Session);
    const callback = vi.fn();
    ses.permissionRequestHandler?.({}, 'media', callback, {});
    expect(callback).toHaveBeenCalledWith(false);
    expect(ses.permissionCheckHandler?.({}, 'clipboard-read', APP_ENTRY_URL, {})).toBe(false);
  });

  it('6. keeps webSecurity on', () => {
    expect(prefs['webSecurity']).toBe(true);
  });

  it('7. sends a strict Content-Security-Policy with every page and keeps one in the HTML', async () => {
    const header = contentSecurityPolicy();
    expectStrictCsp(header);
    expect(directives(header).get('object-src')).toEqual(["'none'"]);
    expect(directives(header).get('frame-ancestors')).toEqual(["'none'"]);
    const response = await createAppHandler(path.join(ROOT, 'renderer'))({
      url: `${APP_ENTRY_URL}`,
      method: 'GET',
    } as Request);
    expect(response.headers.get('content-security-policy')).toBe(header);
    const html = readFileSync(path.join(ROOT, 'renderer', 'index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
    expect(meta, 'CSP meta tag in renderer/index.html').not.toBeNull();
    expectStrictCsp(meta![1]!);
    // The meta tag is the shared policy too, less what only a header can carry.
    expect(meta![1]).toBe(contentSecurityPolicy('meta'));
  });

  it('8. never runs insecure content', () => {
    expect(prefs['allowRunningInsecureContent']).toBe(false);
  });

  it('9. enables no experimental features', () => {
    expect(prefs['experimentalFeatures']).toBe(false);
  });

  it('10. enables no Blink features (and disables middle-click opening)', () => {
    expect(prefs['enableBlinkFeatures']).toBeUndefined();
    expect(prefs['disableBlinkFeatures']).toBe('Auxclick');
  });

  it('11. allows no <webview>', () => {
    expect(prefs['webviewTag']).toBe(false);
    const contents = new FakeWebContents();
    guardWebContents(contents as unknown as WebContents);
    const event = { preventDefault: vi.fn() };
    contents.emit('will-attach-webview', event);
    expect(event.preventDefault).toHaveBeenCalled();
  });

  it('12–13. allows no navigation and no new windows', () => {
    const contents = new FakeWebContents();
    guardWebContents(contents as unknown as WebContents);
    const nav = { url: 'https://attacker.example/', preventDefault: vi.fn() };
    contents.emit('will-navigate', nav);
    expect(nav.preventDefault).toHaveBeenCalled();
    expect(contents.windowOpenHandler?.({ url: 'app://dns-witness/index.html' })).toEqual({ action: 'deny' });
  });

  it('14. hands only http(s) URLs to shell.openExternal', () => {
    shell.openExternal.mockClear();
    const contents = new FakeWebContents();
    guardWebContents(contents as unknown as WebContents);
    for (const url of [
      'file:///etc/passwd',
      'smb://nas/share',
      'javascript:alert(1)',
      'ms-settings:',
      'https://ok.example/',
    ])
      contents.windowOpenHandler?.({ url });
    expect(shell.openExternal.mock.calls).toEqual([['https://ok.example/']]);
  });

  it('17. serves the UI from app://, not file://, with no way out of its folder', async () => {
    registerAppScheme();
    expect(protocol.registerSchemesAsPrivileged).toHaveBeenCalledWith([
      { scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true }) as unknown },
    ]);
    const serve = createAppHandler(path.join(ROOT, 'renderer'));
    for (const url of ['app://dns-witness/../package.json', 'app://dns-witness/%2e%2e/package.json'])
      expect((await serve({ url, method: 'GET' } as Request)).status, url).toBe(403);
  });

  it('19. exposes no Electron API to the page, only devTools in development', () => {
    expect(prefs['preload']).toBe('/app/out/preload/index.cjs');
    expect(prefs['devTools']).toBe(true); // the fake app is not packaged; main-window.test.ts covers packaged
    const preload = readFileSync(path.join(ROOT, 'electron', 'preload', 'index.ts'), 'utf8');
    // One contextBridge call, exposing the typed API object; no ipcRenderer or generic send to the page.
    expect(preload.match(/exposeInMainWorld\(/g)).toHaveLength(1);
    expect(preload).toMatch(/exposeInMainWorld\(PRELOAD_GLOBAL, preloadApi\)/);
  });
});
