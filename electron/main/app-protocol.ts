import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import { contentSecurityPolicy } from '@shared/csp';
import { resolveStaticPath, staticContentType } from '../engine/static-path';
import { APP_HOST, APP_ORIGIN, APP_SCHEME } from './app-origin';

/** Sent with every response from app://, the same policy the headless service sends (shared/csp.ts). */
const CONTENT_SECURITY_POLICY = contentSecurityPolicy();

/** Registers app:// as a standard, secure scheme. Must run before the app is ready. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

/**
 * Maps an app://dns-witness/… URL to a file under `root`, or null when the URL is foreign or tries to
 * leave `root` (see resolveStaticPath: the same check the headless service uses). Never throws.
 * Chromium already normalises standard URLs; this check does not rely on that.
 */
export function resolveAppPath(root: string, url: string): string | null {
  const prefix = `${APP_ORIGIN}/`;
  if (!url.startsWith(prefix)) return null;
  return resolveStaticPath(root, `/${url.slice(prefix.length).split(/[?#]/, 1)[0] ?? ''}`);
}

function textResponse(status: number, text: string): Response {
  return new Response(text, {
    status,
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Security-Policy': CONTENT_SECURITY_POLICY,
      'X-Content-Type-Options': 'nosniff',
    },
  });
}

/**
 * Builds the app:// request handler serving files from `root` (out/renderer) with the CSP header.
 * Answers 403 for paths outside `root`, 404 for missing files, 405 for methods other than GET/HEAD.
 */
export function createAppHandler(root: string): (request: Request) => Promise<Response> {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return textResponse(405, 'Method not allowed');
    const url = request.url;
    if (!url.startsWith(`${APP_SCHEME}://${APP_HOST}/`)) return textResponse(404, 'Not found');
    const file = resolveAppPath(root, url);
    if (file === null) return textResponse(403, 'Forbidden');
    let body: Buffer;
    try {
      body = await readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return textResponse(404, 'Not found');
      return textResponse(500, 'Could not read the file');
    }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(body), {
      status: 200,
      headers: {
        'Content-Type': staticContentType(file),
        'Content-Security-Policy': CONTENT_SECURITY_POLICY,
        'X-Content-Type-Options': 'nosniff',
        'Cache-Control': 'no-cache',
      },
    });
  };
}

/** Serves `root` on app://dns-witness/ in the default session. Call after the app is ready. */
export function setupAppProtocol(root: string): void {
  protocol.handle(APP_SCHEME, createAppHandler(root));
}
