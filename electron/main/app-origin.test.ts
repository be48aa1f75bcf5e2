import { describe, expect, it } from 'vitest';
import { devServerOrigin, isAppUrl } from './app-origin';

describe('isAppUrl()', () => {
  it('accepts app://dns-witness pages, and the dev server only when given', () => {
    expect(isAppUrl('app://dns-witness/index.html')).toBe(true);
    expect(isAppUrl('app://other/index.html')).toBe(false);
    expect(isAppUrl('http://localhost:5173/')).toBe(false);
    expect(isAppUrl('http://localhost:5173/', 'http://localhost:5173')).toBe(true);
    expect(isAppUrl('http://localhost:5174/', 'http://localhost:5173')).toBe(false);
    expect(isAppUrl('not a url', 'http://localhost:5173')).toBe(false);
  });
});

describe('devServerOrigin()', () => {
  it('is the origin of an http loopback ELECTRON_RENDERER_URL in an unpackaged app', () => {
    expect(devServerOrigin('http://localhost:5173', false)).toBe('http://localhost:5173');
    expect(devServerOrigin('http://127.0.0.1:5173/', false)).toBe('http://127.0.0.1:5173');
    expect(devServerOrigin('http://[::1]:5173', false)).toBe('http://[::1]:5173');
  });

  it('is null when packaged, unset, not loopback, not http or not a URL', () => {
    expect(devServerOrigin('http://localhost:5173', true)).toBeNull();
    expect(devServerOrigin(undefined, false)).toBeNull();
    expect(devServerOrigin('', false)).toBeNull();
    expect(devServerOrigin('http://192.168.1.5:5173', false)).toBeNull();
    expect(devServerOrigin('http://localhost.evil.example:5173', false)).toBeNull();
    expect(devServerOrigin('https://localhost:5173', false)).toBeNull();
    expect(devServerOrigin('file:///tmp/index.html', false)).toBeNull();
    expect(devServerOrigin('localhost:5173', false)).toBeNull();
  });
});
