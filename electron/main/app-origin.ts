/** The origin the UI is served from; IPC trusts only frames showing a URL on it. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'dns-witness';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * True when `url` parses as app://dns-witness/…. Never throws. Compares scheme and host rather than
 * URL.origin, because Node's URL reports "null" as the origin of schemes it does not know.
 */
export function isAppUrl(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
  } catch {
    return false;
  }
}
