import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveStaticPath, staticContentType } from './static-path';
import { traversalAttempts } from './static-path-test-support';

const base = join('/srv', 'dns-witness');
const root = join(base, 'renderer');

describe('resolveStaticPath', () => {
  it('maps paths inside the root, decoded once', () => {
    expect(resolveStaticPath(root, '/')).toBe(join(root, 'index.html'));
    expect(resolveStaticPath(root, '/assets/index-abc.js')).toBe(join(root, 'assets', 'index-abc.js'));
    expect(resolveStaticPath(root, '/assets/a%20b.js')).toBe(join(root, 'assets', 'a b.js'));
    // Decoded once: "%252e%252e" is the file named "%2e%2e", not "..".
    expect(resolveStaticPath(root, '/%252e%252e')).toBe(join(root, '%2e%2e'));
  });

  it('refuses every traversal form', () => {
    for (const attempt of traversalAttempts(base))
      expect(resolveStaticPath(root, attempt), attempt).toBeNull();
  });

  it('refuses dot segments, folders and paths that do not start with a slash', () => {
    expect(resolveStaticPath(root, '/./index.html')).toBeNull();
    expect(resolveStaticPath(root, '/assets/')).toBeNull();
    expect(resolveStaticPath(root, 'index.html')).toBeNull();
    expect(resolveStaticPath(root, '')).toBeNull();
  });
});

describe('staticContentType', () => {
  it('names the type by extension', () => {
    expect(staticContentType('/x/index.HTML')).toBe('text/html; charset=utf-8');
    expect(staticContentType('/x/a.woff2')).toBe('font/woff2');
    expect(staticContentType('/x/a.bin')).toBe('application/octet-stream');
  });
});
