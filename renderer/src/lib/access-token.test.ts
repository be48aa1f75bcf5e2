import { describe, expect, it } from 'vitest';
import {
  adoptTokenFromLocation,
  authHeaders,
  parseToken,
  probeAccess,
  tokenGate,
  storedToken,
  streamProtocols,
} from './access-token';

const TOKEN = 'fu87U7mqjNdxZawT3wPjdFu-y_Xb6t3c7FRQsdamo9U';

/** A window with working session storage, location and history, and a scripted fetch. */
function fakeWindow(href: string, status = 200) {
  const store = new Map<string, string>();
  const url = new URL(href);
  const requests: { url: string; headers: Record<string, string> }[] = [];
  const win = {
    sessionStorage: {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
      removeItem: (k: string) => void store.delete(k),
    },
    location: {
      get hash() {
        return url.hash;
      },
      get pathname() {
        return url.pathname;
      },
      get search() {
        return url.search;
      },
    },
    history: {
      replaceState: (_s: unknown, _t: string, next: string) => {
        const n = new URL(next, url);
        url.hash = n.hash;
        url.search = n.search;
      },
    },
    fetch: async (u: string, init: { headers: Record<string, string> }) => {
      requests.push({ url: u, headers: init.headers });
      return new Response('{}', { status });
    },
  };
  return { win: win as unknown as Window, url, requests };
}

describe('tokenGate()', () => {
  it('reads why and how from the 401 body, and falls back for an older service', () => {
    expect(tokenGate({ reason: 'flag', command: 'npm run serve' })).toEqual({
      reason: 'flag',
      command: 'npm run serve',
    });
    expect(tokenGate({ error: 'x' })).toEqual({ reason: 'network', command: 'dns-witness serve' });
    expect(tokenGate(null)).toEqual({ reason: 'network', command: 'dns-witness serve' });
  });
});

describe('parseToken()', () => {
  it('takes the token from a fragment, a full address or on its own', () => {
    expect(parseToken(`#token=${TOKEN}`)).toBe(TOKEN);
    expect(parseToken(` http://192.168.1.5:5380/#token=${TOKEN} `)).toBe(TOKEN);
    expect(parseToken(TOKEN)).toBe(TOKEN);
    expect(parseToken('#token=short')).toBeNull();
    expect(parseToken('#other=1')).toBeNull();
    expect(parseToken(`${TOKEN}"><script>`)).toBeNull();
    expect(parseToken('')).toBeNull();
  });
});

describe('adoptTokenFromLocation()', () => {
  it('moves the fragment into session storage and out of the address bar', () => {
    const { win, url } = fakeWindow(`http://192.168.1.5:5380/?x=1#token=${TOKEN}`);
    expect(adoptTokenFromLocation(win)).toBe(TOKEN);
    expect(url.href).toBe('http://192.168.1.5:5380/?x=1');
    expect(storedToken(win)).toBe(TOKEN);
    // Later loads of the same tab keep it without a fragment.
    expect(adoptTokenFromLocation(win)).toBe(TOKEN);
  });

  it('leaves other fragments alone', () => {
    const { win, url } = fakeWindow('http://127.0.0.1:5380/#log');
    expect(adoptTokenFromLocation(win)).toBeNull();
    expect(url.hash).toBe('#log');
  });
});

describe('headers, subprotocols and the access probe', () => {
  it('carry the token only when there is one', async () => {
    expect(authHeaders(null)).toEqual({});
    expect(authHeaders(TOKEN)).toEqual({ authorization: `Bearer ${TOKEN}` });
    expect(streamProtocols(null)).toEqual(['dns-witness']);
    expect(streamProtocols(TOKEN)).toEqual(['dns-witness', `dns-witness.token.${TOKEN}`]);

    const refused = fakeWindow(`http://192.168.1.5:5380/#token=${TOKEN}`, 401);
    adoptTokenFromLocation(refused.win);
    expect(await probeAccess(refused.win)).toEqual({ reason: 'network', command: 'dns-witness serve' });
    expect(refused.requests).toEqual([{ url: '/api/health', headers: { authorization: `Bearer ${TOKEN}` } }]);
    expect(await probeAccess(fakeWindow('http://127.0.0.1:5380/').win)).toBe('ok');
  });
});
