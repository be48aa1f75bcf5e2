/**
 * The headless service against the attacks a web page or another program can try on loopback: DNS rebinding
 * (foreign Host), cross-origin requests and streams, reading files beside the dashboard, oversized requests,
 * the access token (--token), and the modes of every file it writes. Real HTTP and WebSocket clients.
 */
import { lstat, mkdtemp, readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { dig, waitFor } from '../helpers/tools';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with headers fetch() may not set (Host, Origin, Sec-Fetch-Site). */
export function rawRequest(
  port: number,
  method: string,
  urlPath: string,
  headers: Record<string, string> = {},
  body?: string | Buffer,
  host = '127.0.0.1',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path: urlPath, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a stream; resolves with "open <protocol>" or the refusal's status code, then closes it. */
export function tryStream(
  url: string,
  opts: WebSocket.ClientOptions = {},
  protocols: string[] = [],
): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, protocols, { handshakeTimeout: 5000, ...opts });
    ws.on('open', () => {
      resolve(`open ${ws.protocol}`);
      ws.close();
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(String(res.statusCode));
      res.resume();
      ws.terminate();
    });
    ws.on('error', (err) => resolve(`error ${err.message}`));
  });
}

const noCorsHeaders = (r: RawResponse) =>
  Object.keys(r.headers).filter((h) => h.startsWith('access-control-'));

describe('serve on loopback without a token', () => {
  let upstream: Dnsmasq;
  let served: Served;
  let port: number;

  beforeAll(async () => {
    upstream = await startDnsmasq();
    served = await startServe(upstream.port);
    port = served.uiPort;
  });
  afterAll(async () => {
    await served?.stop();
    await upstream?.stop();
    if (served) await removeDir(served.dataDir);
  });

  it('refuses foreign Host headers on the API, the RPC, the page and the stream (DNS rebinding)', async () => {
    for (const host of [
      `rebind.attacker.example:${port}`,
      `127.0.0.1.nip.example:${port}`,
      `127.0.0.1:${port + 1}`,
    ]) {
      expect((await rawRequest(port, 'GET', '/api/summary', { host })).status, host).toBe(403);
      expect((await rawRequest(port, 'GET', '/', { host })).status, host).toBe(403);
      expect((await rawRequest(port, 'POST', '/api/rpc/capture:stop', { host })).status, host).toBe(403);
      expect(await tryStream(`ws://127.0.0.1:${port}/api/stream`, { headers: { host } }), host).toBe('403');
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`])
      expect((await rawRequest(port, 'GET', '/api/health', { host })).status, host).toBe(200);
  });

  it('opens the stream only for its own origin (or a client that is not a browser)', async () => {
    const url = `ws://127.0.0.1:${port}/api/stream`;
    expect(await tryStream(url, { origin: 'http://attacker.example' })).toBe('403');
    // Another service on this computer is another origin too.
    expect(await tryStream(url, { origin: `http://127.0.0.1:${port + 1}` })).toBe('403');
    expect(await tryStream(url, { origin: 'null' })).toBe('403');
    expect(await tryStream(url, { origin: `http://127.0.0.1:${port}` })).toBe('open ');
    expect(await tryStream(url, { origin: `http://127.0.0.1:${port}` }, ['dns-witness'])).toBe(
      'open dns-witness',
    );
    expect(await tryStream(url)).toBe('open ');
  });

  it('sends no CORS headers and refuses cross-origin API requests of any method', async () => {
    const foreign = { origin: 'http://attacker.example' };
    const preflight = await rawRequest(port, 'OPTIONS', '/api/rpc/capture:stop', {
      ...foreign,
      'access-control-request-method': 'POST',
    });
    expect(preflight.status).toBe(403);
    expect(noCorsHeaders(preflight)).toEqual([]);
    const post = await rawRequest(
      port,
      'POST',
      '/api/rpc/capture:stop',
      { ...foreign, 'content-type': 'text/plain' },
      '{}',
    );
    expect(post.status).toBe(403);
    // The capture is still running: the refused request changed nothing.
    const status = await rawRequest(port, 'POST', '/api/rpc/status:get', {}, '{}');
    expect((JSON.parse(status.body) as { result: { capture: { state: string } } }).result.capture.state).toBe(
      'running',
    );
    expect((await rawRequest(port, 'GET', '/api/summary', foreign)).status).toBe(403);
    expect(
      (await rawRequest(port, 'GET', '/api/export.csv', { 'sec-fetch-site': 'cross-site' })).status,
    ).toBe(403);
    expect(
      (await rawRequest(port, 'POST', '/api/rpc/status:get', { 'sec-fetch-site': 'same-site' }, '{}')).status,
    ).toBe(403);
    const own = await rawRequest(port, 'GET', '/api/summary', {
      origin: `http://127.0.0.1:${port}`,
      'sec-fetch-site': 'same-origin',
    });
    expect(own.status).toBe(200);
    expect(noCorsHeaders(own)).toEqual([]);
  });

  it('changes state only through POST', async () => {
    for (const method of ['GET', 'HEAD', 'PUT', 'DELETE']) {
      const r = await rawRequest(port, method, '/api/rpc/capture:stop');
      expect(r.status, method).toBe(405);
      expect(r.headers.allow).toBe('POST');
    }
    expect((await rawRequest(port, 'POST', '/api/summary')).status).toBe(405);
    expect((await rawRequest(port, 'DELETE', '/api/export.csv')).status).toBe(405);
  });

  it('serves no file outside the dashboard folder', async () => {
    for (const p of [
      '/../../../../etc/passwd',
      '/..%2f..%2f..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%2f..%2f..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '/%00',
      '/%E0%A4%A',
    ]) {
      const r = await rawRequest(port, 'GET', p);
      expect(r.status, p).not.toBe(200);
      expect(r.body, p).not.toMatch(/root:|"dependencies"/);
    }
  });

  it('caps request bodies and pages', async () => {
    const big = await rawRequest(
      port,
      'POST',
      '/api/rpc/marker:add',
      { 'content-type': 'application/json' },
      JSON.stringify({ args: { label: 'x'.repeat(100 * 1024) } }),
    );
    // 413 with the limit, not a reset connection: with a Content-Length, and when a chunked body grows too big.
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toEqual({ error: 'request body too large (at most 65536 bytes)' });
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/rpc/marker:add',
          headers: { 'content-type': 'application/json' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(7 * 1024));
      req.end();
    });
    expect(chunked).toBe(413);
    expect((await rawRequest(port, 'GET', '/api/queries?limit=5000')).status).toBe(400);
    // A capture id names a folder: anything but letters, digits, "-" and "_" is refused before any lookup.
    for (const id of ['../../etc', '..%2F..%2Fetc', 'a/b', '%00'])
      expect((await rawRequest(port, 'GET', `/api/export.csv?captureId=${id}`)).status, id).toBe(400);
    const snap = await rawRequest(
      port,
      'POST',
      '/api/rpc/query:list',
      {},
      JSON.stringify({ args: { captureId: '../x' } }),
    );
    expect(snap.status).toBe(400);
    for (let i = 0; i < 3; i++) await dig(served.dnsPort, `page${i}.example.test`);
    type Page = { events: unknown[]; total: number };
    const page = await waitFor(
      async () => {
        const p = JSON.parse((await rawRequest(port, 'GET', '/api/queries?limit=2')).body) as Page;
        return p.total >= 3 ? p : undefined;
      },
      5000,
      'the three queries to be recorded',
    );
    expect(page.events).toHaveLength(2);
    expect(page.total).toBeGreaterThanOrEqual(3);
  });
});

describe('serve under 1,000 half-open connections', () => {
  it('keeps the dashboard, /api/health and DNS answering for loopback while other addresses hold them', async () => {
    const upstream = await startDnsmasq();
    const served = await startServe(upstream.port);
    const held: net.Socket[] = [];
    try {
      // 31 addresses × 32 connections + 8: each sends half a request and never the rest.
      const opening: Promise<void>[] = [];
      for (let i = 0; i < 1000; i++) {
        const localAddress = `127.0.0.${2 + Math.floor(i / 32)}`;
        opening.push(
          new Promise<void>((resolve) => {
            const s = net.connect({ host: '127.0.0.1', port: served.uiPort, localAddress }, () => {
              s.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
              resolve();
            });
            s.on('error', () => resolve());
            s.on('close', () => resolve());
            held.push(s);
          }),
        );
      }
      await Promise.all(opening);
      const stillOpen = () => held.filter((s) => !s.destroyed && s.readyState === 'open').length;
      for (let round = 0; round < 3; round++) {
        const t0 = performance.now();
        expect((await rawRequest(served.uiPort, 'GET', '/api/health')).status).toBe(200);
        expect((await rawRequest(served.uiPort, 'GET', '/')).status).toBe(200);
        expect(performance.now() - t0, 'health and page within 2 s').toBeLessThan(2000);
        expect((await dig(served.dnsPort, 'www.example.test')).stdout).toContain('status: NOERROR');
      }
      // The service stays bounded: the table holds at most its 256 slots, however many were opened.
      await waitFor(() => (stillOpen() <= 256 ? true : undefined), 5_000, 'the table to stay within 256');
    } finally {
      for (const s of held) s.destroy();
      await served.stop();
      await upstream.stop();
      await removeDir(served.dataDir);
    }
  });
});

describe('serve with --token on loopback', () => {
  let upstream: Dnsmasq;
  let served: Served;
  let token: string;

  beforeAll(async () => {
    upstream = await startDnsmasq();
    served = await startServe(upstream.port, { args: ['--token'] });
    token = (await readFile(path.join(served.dataDir, 'ui-token'), 'utf8')).trim();
  });
  afterAll(async () => {
    await served?.stop();
    await upstream?.stop();
    if (served) await removeDir(served.dataDir);
  });

  it('prints the address with the token in its fragment once, and keeps the token 0600', async () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(served.output()).toContain(`dashboard: ${served.base}/#token=${token}\n`);
    expect((await lstat(path.join(served.dataDir, 'ui-token'))).mode & 0o777).toBe(0o600);
  });

  it('answers 401 with a JSON error without the token, and serves the page that asks for it', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: `Basic ${token}` },
    ];
    for (const headers of attempts) {
      const r = await rawRequest(served.uiPort, 'GET', '/api/summary', headers);
      expect(r.status).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
      const body = JSON.parse(r.body) as { error: string; token_required: boolean };
      expect(body.token_required).toBe(true);
      expect(body.error).toMatch(/access token required/);
    }
    const rpc = await fetch(`${served.base}/api/rpc/capture:stop`, { method: 'POST', body: '{}' });
    expect(rpc.status).toBe(401);
    expect((await fetch(`${served.base}/api/export.csv`)).status).toBe(401);
    // The token is not in a query string either (it would land in histories and logs).
    expect((await fetch(`${served.base}/api/summary?token=${token}`)).status).toBe(401);
    expect((await fetch(`${served.base}/`)).status).toBe(200);
  });

  it('answers with the token as a Bearer header, and opens the stream with it as a subprotocol', async () => {
    const r = await fetch(`${served.base}/api/summary`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    const url = `ws://127.0.0.1:${served.uiPort}/api/stream`;
    expect(await tryStream(url)).toBe('401');
    expect(await tryStream(url, {}, ['dns-witness', 'dns-witness.token.wrong'])).toBe('401');
    // The server selects the plain subprotocol, never echoing the one that carries the secret.
    expect(await tryStream(url, {}, ['dns-witness', `dns-witness.token.${token}`])).toBe('open dns-witness');
    expect(
      await tryStream(url, { origin: 'http://attacker.example' }, [
        'dns-witness',
        `dns-witness.token.${token}`,
      ]),
    ).toBe('403');
  });

  it('keeps the token across restarts and does not print it again', async () => {
    await served.stop();
    served = await startServe(upstream.port, { dataDir: served.dataDir, args: ['--token'] });
    expect(served.output()).not.toContain(token);
    expect(served.output()).toMatch(
      /access token required: open http:\/\/127\.0\.0\.1:\d+\/#token=<the token in /,
    );
    const r = await fetch(`${served.base}/api/health`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
  });
});

describe('files the service writes', () => {
  it('creates the data folder 0700 and every file 0600, even under umask 000', async () => {
    const upstream = await startDnsmasq();
    const parent = await mkdtemp(path.join(os.tmpdir(), 'dnsw-perm-'));
    const dataDir = path.join(parent, 'new', 'data');
    const served = await startServe(upstream.port, { dataDir, umask: 0, args: ['--token'] });
    try {
      const token = (await readFile(path.join(dataDir, 'ui-token'), 'utf8')).trim();
      const post = async (channel: string, args: unknown) => {
        const r = await fetch(`${served.base}/api/rpc/${channel}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
          body: JSON.stringify({ args }),
        });
        expect(r.status, channel).toBe(200);
      };
      expect((await dig(served.dnsPort, 'www.example.test')).stdout).toMatch(/status: NOERROR/);
      // Each of these writes a settings file: devices.json, routers.json, watch.json.
      await post('device:rename', { address: '127.0.0.1', name: 'This computer' });
      await post('device:set-routers', { addresses: ['127.0.0.9'] });
      await post('marker:add', { label: 'HomeShield switched off' });
      await post('watch-settings:router-model', { model: 'Deco X68 v1' });
      expect(await served.stop()).toBe(0);

      const found: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const entry of await readdir(dir, { withFileTypes: true })) {
          const p = path.join(dir, entry.name);
          const mode = (await lstat(p)).mode & 0o777;
          found.push(`${path.relative(dataDir, p)} ${mode.toString(8)}`);
          if (entry.isDirectory()) await walk(p);
        }
      };
      found.push(`. ${((await lstat(dataDir)).mode & 0o777).toString(8)}`);
      await walk(dataDir);
      const names = found.map((f) => f.split(' ')[0]!);
      for (const expected of ['ui-token', 'devices.json', 'routers.json', 'watch.json'])
        expect(names, expected).toContain(expected);
      expect(names.some((n) => n.endsWith('journal.ndjson'))).toBe(true);
      const loose = found.filter((f) => !/ (700|600)$/.test(f));
      expect(loose, found.join('\n')).toEqual([]);
    } finally {
      await served.stop();
      await upstream.stop();
      await removeDir(parent);
    }
  });
});
