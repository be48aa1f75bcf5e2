/** The origin the UI is served from; IPC trusts only frames showing a URL on it. */
export const APP_SCHEME = 'app';
export const APP_HOST = 'dns-witness';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * True when `url` parses as app://dns-witness/…, or is on `devServer` (an origin from devServerOrigin()).
 * Never throws. Compares scheme and host rather than URL.origin, because Node's URL reports "null" as the
 * origin of schemes it does not know.
 */
export function isAppUrl(url: string, devServer: string | null = null): boolean {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST) return true;
    return devServer !== null && parsed.origin === devServer;
  } catch {
    return false;
  }
}

/**
 * The origin of the renderer's dev server (`npm run dev`: electron-vite sets ELECTRON_RENDERER_URL), which
 * then serves the UI with hot reload instead of app://. Null unless the app is unpackaged and the address is
 * plain http on loopback; a packaged app never leaves app://. Never throws.
 */
export function devServerOrigin(rendererUrl: string | undefined, packaged: boolean): string | null {
  if (packaged || rendererUrl === undefined || rendererUrl === '') return null;
  try {
    const parsed = new URL(rendererUrl);
    const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
    return parsed.protocol === 'http:' && loopback ? parsed.origin : null;
  } catch {
    return null;
  }
}
