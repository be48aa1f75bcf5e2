/**
 * The headless service's access token on the page: taken from the address fragment (`#token=…`, which
 * browsers never send to a server or in a Referer), kept for this tab's session only, and sent with every
 * request (header) and stream (subprotocol). See shared/http-protocol.ts.
 */
import { STREAM_PROTOCOL, TOKEN_FRAGMENT_KEY, TOKEN_PROTOCOL_PREFIX } from '@shared/http-protocol';

type TokenWindow = Pick<Window, 'sessionStorage' | 'location' | 'history' | 'fetch'>;

const STORAGE_KEY = 'dns-witness.access-token';
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,128}$/;

/** The token in a `#token=…` fragment, a full dashboard address or the bare token; null when none fits. */
export function parseToken(text: string): string | null {
  const trimmed = text.trim();
  const hash = trimmed.indexOf('#');
  const candidate =
    hash >= 0 ? new URLSearchParams(trimmed.slice(hash + 1)).get(TOKEN_FRAGMENT_KEY)?.trim() : trimmed;
  return candidate !== undefined && candidate !== null && TOKEN_PATTERN.test(candidate) ? candidate : null;
}

/** The token kept for this tab, or null. Never throws (storage can be unavailable). */
export function storedToken(win: TokenWindow): string | null {
  try {
    return win.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

/** Keeps `token` for this tab's session. */
export function storeToken(win: TokenWindow, token: string): void {
  try {
    win.sessionStorage.setItem(STORAGE_KEY, token);
  } catch {
    // Without storage the token lasts until the page reloads; nothing else to do.
  }
}

export function forgetToken(win: TokenWindow): void {
  try {
    win.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // See storeToken.
  }
}

/**
 * Moves a `#token=…` fragment into session storage and out of the address bar (so it is not bookmarked,
 * shared in a screenshot or kept in history). Returns the token now stored, or null.
 */
export function adoptTokenFromLocation(win: TokenWindow): string | null {
  const token = win.location.hash.length > 1 ? parseToken(win.location.hash) : null;
  if (token !== null) {
    storeToken(win, token);
    win.history.replaceState(null, '', win.location.pathname + win.location.search);
  }
  return storedToken(win);
}

/** Request headers that carry `token` (none without one). */
export function authHeaders(token: string | null): Record<string, string> {
  return token === null ? {} : { authorization: `Bearer ${token}` };
}

/** WebSocket subprotocols: the plain one (which the server selects) and the one that carries `token`. */
export function streamProtocols(token: string | null): string[] {
  return token === null ? [STREAM_PROTOCOL] : [STREAM_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`];
}

/** Why the service asks for a token and how it was started, from its 401 answer (TokenRequiredBody). */
export interface TokenGate {
  readonly reason: 'network' | 'flag';
  readonly command: string;
}

/** The 401 body read leniently: an older service sends neither field (it listened on the network). */
export function tokenGate(body: unknown): TokenGate {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Partial<Record<string, unknown>>;
  return {
    reason: b.reason === 'flag' ? 'flag' : 'network',
    command: typeof b.command === 'string' && b.command.length <= 200 ? b.command : 'dns-witness serve',
  };
}

/**
 * Whether the service lets this page in: 'ok', or why it wants a token (it answered 401). Network errors
 * count as 'ok' (the dashboard reports them).
 */
export async function probeAccess(win: TokenWindow): Promise<'ok' | TokenGate> {
  try {
    const r = await win.fetch('/api/health', { headers: authHeaders(storedToken(win)), cache: 'no-store' });
    if (r.status !== 401) return 'ok';
    return tokenGate(await r.json().catch(() => null));
  } catch {
    return 'ok';
  }
}
