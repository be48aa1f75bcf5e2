/**
 * Static files for both ways the dashboard is served: the desktop app's app:// protocol (electron/main) and
 * the headless HTTP service (electron/headless). One traversal check for both. Plain Node, no Electron.
 */
import { extname, isAbsolute, relative, resolve } from 'node:path';

/**
 * Maps a URL path as sent ("/", "/assets/a%20b.js"; no query or fragment) to a file under `root`, or null
 * when it would leave `root` or is not a plain file path: the path is percent-decoded once, then NUL,
 * backslashes, drive letters ("C:"), empty, "." and ".." segments are refused, and the resolved file must
 * still lie under `root`. "/" is index.html; any other path ending in "/" is refused. Never throws.
 */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  if (!urlPath.startsWith('/')) return null;
  let path: string;
  try {
    path = decodeURIComponent(urlPath.slice(1));
  } catch {
    return null;
  }
  if (path === '') path = 'index.html';
  if (path.includes('\0') || path.includes('\\') || /^[A-Za-z]:/.test(path)) return null;
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return null;
  const base = resolve(root);
  const full = resolve(base, ...segments);
  const rel = relative(base, full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return null;
  return full;
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

/** The Content-Type for a served file, by its extension; application/octet-stream when unknown. */
export function staticContentType(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}
