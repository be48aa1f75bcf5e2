// Test oracle shared by the app:// protocol tests and the headless server tests: every path-traversal form
// a static file server must refuse. Not used by production code.
import { join } from 'node:path';

/**
 * URL paths (after the origin, as sent on the wire) that try to reach `secret.txt` in `base`, the folder
 * that holds the served root, or another file outside the root.
 */
export function traversalAttempts(base: string): readonly string[] {
  return [
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/%2E%2E%2Fsecret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
    '//etc/passwd',
    '/%2Fetc%2Fpasswd',
    `/${encodeURIComponent(join(base, 'secret.txt'))}`,
    '/C:%5CWindows%5Cwin.ini',
    '/index.html%00.png',
    '/%E0%A4%A',
  ];
}
