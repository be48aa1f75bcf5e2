import type { Session, WebContents } from 'electron';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { denyAllPermissions, guardWebContents, isExternalWebUrl, setupSecurity } from './security';
import { app, FakeSession, FakeWebContents, session, shell } from './testing/fake-electron';

vi.mock('electron', () => import('./testing/fake-electron'));

function navigationEvent(url: string): { url: string; preventDefault: () => void; prevented: boolean } {
  const event = {
    url,
    prevented: false,
    preventDefault: () => {
      event.prevented = true;
    },
  };
  return event;
}

beforeEach(() => {
  shell.openExternal.mockClear();
});

describe('navigation and window.open guards', () => {
  it('deny every navigation, opening only http(s) links in the browser', () => {
    const contents = new FakeWebContents();
    guardWebContents(contents as unknown as WebContents);
    const cases: [string, boolean][] = [
      ['https://www.example.org/report', true],
      ['http://192.168.0.1/', true],
      ['app://dns-witness/other.html', false],
      ['file:///etc/passwd', false],
      ['javascript:alert(1)', false],
      ['smb://server/share', false],
      ['not a url', false],
    ];
    for (const [url, external] of cases) {
      const event = navigationEvent(url);
      contents.emit('will-navigate', event);
      expect(event.prevented, url).toBe(true);
      expect(
        shell.openExternal.mock.calls.some(([u]) => u === url),
        url,
      ).toBe(external);
    }
  });

  it('deny window.open, forwarding only http(s) URLs to the browser', () => {
    const contents = new FakeWebContents();
    guardWebContents(contents as unknown as WebContents);
    const open = contents.windowOpenHandler;
    expect(open).not.toBeNull();
    expect(open?.({ url: 'https://example.org/' })).toEqual({ action: 'deny' });
    expect(open?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(open?.({ url: 'app://dns-witness/index.html' })).toEqual({ action: 'deny' });
    expect(shell.openExternal.mock.calls).toEqual([['https://example.org/']]);
  });

  it('refuse <webview> attachment', () => {
    const contents = new FakeWebContents();
    guardWebContents(contents as unknown as WebContents);
    const event = navigationEvent('');
    contents.emit('will-attach-webview', event);
    expect(event.prevented).toBe(true);
  });

  it('are applied to every web contents the app creates', () => {
    setupSecurity();
    const contents = new FakeWebContents();
    app.emit('web-contents-created', {}, contents);
    expect(contents.windowOpenHandler).not.toBeNull();
    expect(session.defaultSession.permissionCheckHandler).not.toBeNull();
  });
});

describe('permissions', () => {
  it('denies every request and every check', () => {
    const ses = new FakeSession();
    denyAllPermissions(ses as unknown as Session);
    for (const permission of ['media', 'notifications', 'clipboard-read', 'geolocation', 'openExternal']) {
      const callback = vi.fn();
      ses.permissionRequestHandler?.({}, permission, callback, {});
      expect(callback).toHaveBeenCalledWith(false);
      expect(ses.permissionCheckHandler?.({}, permission, 'app://dns-witness', {})).toBe(false);
    }
  });
});

describe('isExternalWebUrl()', () => {
  it('accepts only parsed http and https URLs', () => {
    expect(isExternalWebUrl('https://example.org')).toBe(true);
    expect(isExternalWebUrl('HTTP://EXAMPLE.ORG')).toBe(true);
    expect(isExternalWebUrl('https:')).toBe(false);
    expect(isExternalWebUrl('mailto:a@example.org')).toBe(false);
    expect(isExternalWebUrl(' javascript:alert(1)')).toBe(false);
    expect(isExternalWebUrl('//example.org')).toBe(false);
  });
});
