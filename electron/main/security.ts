import { app, session, shell } from 'electron';
import type { Session, WebContents } from 'electron';

/** True only for URLs that parse with the http: or https: scheme. Never throws. */
export function isExternalWebUrl(url: string): boolean {
  try {
    const { protocol } = new URL(url);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}

/** Opens `url` in the user's browser when it is a parsed http(s) URL; anything else is ignored. */
export function openExternalSafely(url: string): boolean {
  if (!isExternalWebUrl(url)) return false;
  shell.openExternal(url).catch((error: unknown) => console.warn(`[security] could not open ${url}:`, error));
  return true;
}

/**
 * Keeps `contents` on its page: navigation, window.open and <webview> are denied; http(s) links the
 * user follows open in the default browser instead.
 */
export function guardWebContents(contents: WebContents): void {
  contents.on('will-navigate', (event) => {
    event.preventDefault();
    openExternalSafely(event.url);
  });
  contents.setWindowOpenHandler(({ url }) => {
    openExternalSafely(url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

/** Denies every permission request and check (camera, notifications, clipboard read, …) in `ses`. */
export function denyAllPermissions(ses: Session): void {
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
}

/** Applies the guards to every web contents the app creates and to the default session. After ready. */
export function setupSecurity(): void {
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents));
  denyAllPermissions(session.defaultSession);
}
