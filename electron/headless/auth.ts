/**
 * Who may talk to the headless service: the Host check against DNS rebinding, the same-origin check for
 * browsers, and the access token required when the service listens beyond loopback.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, open, readFile, stat } from 'node:fs/promises';
import type http from 'node:http';
import { isIP } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { STREAM_PROTOCOL, TOKEN_PROTOCOL_PREFIX } from '@shared/http-protocol';
import { FILE_MODE } from '../engine/capture/journal';

/** The token file in the data folder (mode 0600). */
export const TOKEN_FILE = 'ui-token';

/** What a token may look like: URL-, header- and subprotocol-safe, long enough that guessing is hopeless. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{32,128}$/;

/**
 * How the user started the service, as they would type it again: npm passes the script's name to its child
 * (scripts/serve.mjs keeps the environment); `node SCRIPT` run from its checkout names the script (only a
 * path inside `cwd`, the token screen must not show where the user's files are); else the installed command.
 */
export function startCommand(
  env: Readonly<Record<string, string | undefined>>,
  script = '',
  cwd = '',
): string {
  switch (env.npm_lifecycle_event) {
    case 'serve':
      return 'npm run serve';
    case 'start':
      return 'npm start';
    case 'dev':
      return 'npm run dev';
  }
  const rel = script && cwd ? path.relative(cwd, script) : '';
  if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel))
    return `node ${rel.split(path.sep).join('/')}`;
  return 'dns-witness serve';
}

/** True for 127.0.0.0/8, ::1 and ::ffff:127.x addresses; false for wildcards, LAN addresses and names. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (isIP(a) === 4) return a.startsWith('127.');
  if (a === '::1') return true;
  return /^::ffff:127\.\d+\.\d+\.\d+$/.test(a);
}

/** True for the "every address" binds (0.0.0.0, ::). */
export function isWildcardAddress(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '[::]';
}

/** A fresh token: 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface StoredToken {
  readonly token: string;
  /** True when this call generated it (the caller prints it once). */
  readonly created: boolean;
  readonly file: string;
}

/**
 * The token kept in `${dataDir}/ui-token`: read when present (its mode tightened to 0600 if it was looser),
 * else generated and written with mode 0600 (exclusive create, so a file planted meanwhile is not reused).
 * Rejects with a readable Error when the file holds something that is not a token.
 */
export async function loadOrCreateToken(dataDir: string): Promise<StoredToken> {
  const file = path.join(dataDir, TOKEN_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const text = (await readFile(file, 'utf8')).trim();
      if (!TOKEN_PATTERN.test(text))
        throw new Error(
          `${file} does not hold an access token (32–128 letters, digits, "-" or "_"); delete it and a new one is made`,
        );
      if (process.platform !== 'win32' && ((await stat(file)).mode & 0o077) !== 0)
        await chmod(file, FILE_MODE);
      return { token: text, created: false, file };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const token = newToken();
    try {
      const fh = await open(file, 'wx', FILE_MODE);
      try {
        await fh.writeFile(token + '\n', 'utf8');
        await fh.sync();
      } finally {
        await fh.close();
      }
      return { token, created: true, file };
    } catch (err) {
      // Another process created it between our read and write: read theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  throw new Error(`could not read or create ${file}`);
}

/** Compares in constant time (over digests, so the length leaks nothing either). Never throws. */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined || presented === '') return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(presented).digest();
  return timingSafeEqual(a, b);
}

/**
 * The token a request carries: `Authorization: Bearer T` (HTTP), or a WebSocket subprotocol
 * `dns-witness.token.T` (browsers cannot set headers on a WebSocket). Undefined when there is none.
 */
export function presentedToken(req: http.IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const protocols = req.headers['sec-websocket-protocol'];
  if (protocols !== undefined)
    for (const p of protocols.split(',').map((s) => s.trim()))
      if (p.startsWith(TOKEN_PROTOCOL_PREFIX)) return p.slice(TOKEN_PROTOCOL_PREFIX.length);
  return undefined;
}

/**
 * The subprotocol the server answers a stream handshake with: never the token one (that would echo the
 * secret), the plain one when offered, else none.
 */
export function chooseStreamProtocol(offered: ReadonlySet<string>): string | false {
  return offered.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false;
}

/** The addresses of this computer's interfaces, lower-case, IPv6 in brackets; refreshed at most every 2 s. */
export function localAddressCache(
  list: () => NodeJS.Dict<os.NetworkInterfaceInfo[]> = os.networkInterfaces,
  now: () => number = Date.now,
): () => ReadonlySet<string> {
  let at = -Infinity;
  let cached: ReadonlySet<string> = new Set();
  return () => {
    if (now() - at < 2000) return cached;
    at = now();
    const set = new Set<string>();
    for (const infos of Object.values(list()))
      for (const i of infos ?? []) {
        const a = i.address.toLowerCase().split('%')[0]!;
        set.add(i.family === 'IPv6' ? `[${a}]` : a);
      }
    cached = set;
    return set;
  };
}

export interface HostCheck {
  /** The address the server is bound to, as given to listen() (e.g. 127.0.0.1, 0.0.0.0, fd00::5). */
  readonly bound: string;
  readonly port: number;
  /** This computer's addresses (used when bound to every address). */
  readonly localAddresses: () => ReadonlySet<string>;
}

/**
 * True when the Host header names the service itself: `localhost` or the loopback address when bound to
 * loopback, the bound address, or (bound to every address) one of this computer's addresses. Any other
 * name is refused: that is what a DNS-rebinding page would send.
 */
export function hostAllowed(hostHeader: string | undefined, check: HostCheck): boolean {
  const host = (hostHeader ?? '').toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(host);
  if (!m) return false;
  const name = m[1]!;
  const port = m[2] === undefined ? 80 : Number(m[2]);
  if (port !== check.port) return false;
  const bound = check.bound.toLowerCase();
  const boundName = bound.includes(':') ? `[${bound.replace(/^\[|\]$/g, '')}]` : bound;
  if (name === boundName) return true;
  const loopbackName = name === 'localhost' || name === '[::1]' || isLoopbackAddress(name);
  if (isLoopbackAddress(bound)) return loopbackName;
  if (isWildcardAddress(bound)) return loopbackName || check.localAddresses().has(name);
  return false;
}

/**
 * True unless a browser says the request comes from another origin: `Origin` (when present) must be this
 * very service (`http://` + the already checked Host), and `Sec-Fetch-Site` (when present) same-origin or
 * none. Clients that are not browsers send neither and are left to the Host check and the token.
 */
export function sameOrigin(req: http.IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return false;
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return origin.toLowerCase() === `http://${(req.headers.host ?? '').toLowerCase()}`;
}
