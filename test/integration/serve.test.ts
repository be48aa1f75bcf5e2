/**
 * The headless service as users run it (`node out/main/headless.js`, what `npm run serve` starts): real DNS
 * clients, the HTTP API, the live stream, the journal surviving SIGKILL, and its command-line errors.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DeviceInfo, QueryBatch } from '@shared/events';
import { fetchPastRefusals, type StreamMessage } from '@shared/http-protocol';
import type { WatchAlert, WatchMinutes, WatchSettings } from '@shared/watch/messages';
import type { Marker, WatchReport } from '@shared/watch/report';
import { BUILT_IN_RULES, type ActiveRule } from '@shared/watch/rules';
import { parseCsv } from '../../electron/engine/capture/test-support';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { HEADLESS, removeDir, startServe, type Served } from '../helpers/serve';
import { dig, freePort, run, waitFor } from '../helpers/tools';

const getJson = async <T>(url: string): Promise<{ status: number; body: T }> => {
  const r = await fetch(url);
  return { status: r.status, body: (await r.json()) as T };
};

/** Status code of a request with headers that fetch() may not set. */
function rawStatus(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

interface SummaryClient {
  address: string;
  queries: number;
  first_seen: string;
  last_seen: string;
  name: string;
  hostname: string;
  mac: string;
  vendor: string;
  private_mac: boolean;
  is_router: boolean;
}

interface Summary {
  total_queries: number;
  clients: SummaryClient[];
  captures: { id: string; state: string }[];
  routers: string[];
}

const CSV_COLUMNS = [
  'timestamp',
  'client_ip',
  'qname',
  'qtype',
  'rcode',
  'answers',
  'latency_ms',
  'upstream',
  'device',
  'mac',
  'vendor',
  'is_router',
  'watch_rule',
];

/** Calls the dashboard RPC like the browser does, waiting out load shedding (503 with Retry-After). */
function rpc(base: string, channel: string, args?: unknown): Promise<Response> {
  return fetchPastRefusals(
    () => fetch(`${base}/api/rpc/${channel}`, { method: 'POST', body: JSON.stringify({ args }) }),
    (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  );
}

/** The summary once every client has its device details (loopback hostnames arrive just after a query). */
async function settledSummary(base: string): Promise<Summary> {
  return waitFor(
    async () => {
      const s = (await getJson<Summary>(`${base}/api/summary`)).body;
      return s.clients.length > 0 && s.clients.every((c) => c.hostname !== '') ? s : undefined;
    },
    5000,
    'device hostnames in /api/summary',
  );
}

describe('serve', () => {
  let upstream: Dnsmasq;
  let served: Served;
  /** What the test sent: [source address, name, type]. */
  const sent: [string, string, string][] = [
    ['127.0.0.1', 'www.example.test', 'A'],
    ['127.0.0.2', 'www.example.test', 'AAAA'],
    ['127.0.0.2', 'txt.example.test', 'TXT'],
    ['127.0.0.3', 'missing.example.test', 'A'],
    ['127.0.0.3', 'dfp-dual.safethings.avira.com', 'A'],
    ['127.0.0.3', 'example.test', 'MX'],
  ];

  beforeAll(async () => {
    upstream = await startDnsmasq();
    // 127.0.0.3 plays the router: its queries must be marked as the router's everywhere.
    served = await startServe(upstream.port, { args: ['--router', '127.0.0.3'] });
  });
  afterAll(async () => {
    await served?.stop();
    await upstream?.stop();
    if (served) await removeDir(served.dataDir);
  });

  it('reports its bound DNS addresses on /api/health', async () => {
    const h = await getJson<{ ok: boolean; dns: string[] }>(`${served.base}/api/health`);
    expect(h.status).toBe(200);
    expect(h.body.dns).toEqual([`127.0.0.1:${served.dnsPort}/udp`, `127.0.0.1:${served.dnsPort}/tcp`]);
  });

  it('streams query batches over the WebSocket and counts per client in /api/summary', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${served.uiPort}/api/stream`);
    const streamed: string[] = [];
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as StreamMessage;
      if (msg.channel === 'query:batch')
        for (const e of (msg.payload as QueryBatch).events)
          streamed.push(`${e.client} ${e.qname} ${e.qtype}`);
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    for (const [src, name, type] of sent) {
      const r = await dig(served.dnsPort, name, type, ['-b', src]);
      expect(r.stdout).toMatch(/status: (NOERROR|NXDOMAIN)/);
    }
    await waitFor(() => (streamed.length >= sent.length ? true : undefined), 3000, 'streamed events');
    ws.close();
    expect(streamed).toEqual(sent.map(([s, n, t]) => `${s} ${n} ${t}`));

    const s = await getJson<Summary>(`${served.base}/api/summary`);
    expect(s.body.total_queries).toBe(sent.length);
    const byAddr = Object.fromEntries(s.body.clients.map((c) => [c.address, c.queries]));
    expect(byAddr).toEqual({ '127.0.0.1': 1, '127.0.0.2': 2, '127.0.0.3': 3 });
    expect(s.body.clients[0]!.first_seen).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$/);
  });

  it('pages and filters /api/queries', async () => {
    const all = await getJson<{ total: number; events: { qname: string; client_ip: string }[] }>(
      `${served.base}/api/queries?limit=2`,
    );
    expect(all.body.total).toBe(sent.length);
    expect(all.body.events.map((e) => e.qname)).toEqual(['example.test', 'dfp-dual.safethings.avira.com']);
    const byClient = await getJson<{ total: number }>(`${served.base}/api/queries?client=127.0.0.2`);
    expect(byClient.body.total).toBe(2);
    const byName = await getJson<{ total: number; events: { qname: string }[] }>(
      `${served.base}/api/queries?name=SAFETHINGS`,
    );
    expect(byName.body.events.map((e) => e.qname)).toEqual(['dfp-dual.safethings.avira.com']);
    const future = await getJson<{ total: number }>(`${served.base}/api/queries?from=${Date.now() + 60_000}`);
    expect(future.body.total).toBe(0);
    const bad = await getJson<{ error: string }>(`${served.base}/api/queries?limit=lots`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('limit');
    // The watchlist filter: what matched a rule when it was recorded, any rule or one.
    const watched = await getJson<{ total: number; events: { qname: string; watch_rule: string }[] }>(
      `${served.base}/api/queries?watched=1`,
    );
    expect(watched.body.events.map((e) => [e.qname, e.watch_rule])).toEqual([
      ['dfp-dual.safethings.avira.com', 'avira-safethings'],
    ]);
    const byRule = await getJson<{ total: number }>(`${served.base}/api/queries?rule=avira-safethings`);
    expect(byRule.body.total).toBe(1);
    const otherRule = await getJson<{ total: number }>(`${served.base}/api/queries?rule=trend-micro-asus`);
    expect(otherRule.body.total).toBe(0);
    const badFlag = await getJson<{ error: string }>(`${served.base}/api/queries?watched=maybe`);
    expect(badFlag.status).toBe(400);
    expect(badFlag.body.error).toContain('watched');
  });

  it('exports exactly the queries sent as CSV', async () => {
    const r = await fetch(`${served.base}/api/export.csv`);
    expect(r.headers.get('content-type')).toContain('text/csv');
    expect(r.headers.get('content-disposition')).toMatch(/attachment; filename="dns-witness-.*\.csv"/);
    const rows = parseCsv(await r.text());
    expect(rows[0]).toEqual(CSV_COLUMNS);
    const body = rows.slice(1);
    expect(body.map((row) => [row[1], row[2], row[3]])).toEqual(sent);
    const www = body.find((row) => row[2] === 'www.example.test' && row[3] === 'A')!;
    expect(www[4]).toBe('NOERROR');
    expect(www[5]).toBe('192.0.2.10');
    expect(Number(www[6])).toBeGreaterThan(0);
    expect(www[7]).toBe(`127.0.0.1:${upstream.port}`);
    expect(body.find((row) => row[2] === 'missing.example.test')![4]).toBe('NXDOMAIN');
    const filtered = parseCsv(await (await fetch(`${served.base}/api/export.csv?client=127.0.0.3`)).text());
    expect(filtered).toHaveLength(1 + 3);
    expect(body.map((row) => row[12])).toEqual(
      sent.map(([, name]) => (name.includes('safethings') ? 'avira-safethings' : '')),
    );
  });

  it("counts watchlist traffic per rule in /api/summary, the router's separately", async () => {
    const s = await getJson<{
      watchlist: {
        rule: string;
        vendor: string;
        queries: number;
        router_queries: number;
        per_hour: number | null;
        projected_per_day: number | null;
        rate_text: string;
        span_ms: number;
        first_seen: string;
        last_seen: string;
      }[];
    }>(`${served.base}/api/summary`);
    expect(s.body.watchlist).toHaveLength(1);
    const avira = s.body.watchlist[0]!;
    expect(avira).toMatchObject({ rule: 'avira-safethings', vendor: 'Avira', queries: 1, router_queries: 1 });
    // One lookup is counted, not projected (shared/watch/lookup-rate.ts).
    expect(avira).toMatchObject({
      per_hour: null,
      projected_per_day: null,
      rate_text: 'too early to tell',
      span_ms: 0,
    });
    expect(avira.first_seen).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('describes each client as a device in /api/summary, the --router address as the router', async () => {
    const s = await settledSummary(served.base);
    expect(s.routers).toContain('127.0.0.3');
    const byAddr = Object.fromEntries(s.clients.map((c) => [c.address, c]));
    // Loopback is this computer: its hostname, no MAC (loopback has no neighbour entry).
    expect(byAddr['127.0.0.3']).toMatchObject({
      name: os.hostname(),
      hostname: os.hostname(),
      mac: '',
      vendor: '',
      private_mac: false,
      is_router: true,
    });
    expect(byAddr['127.0.0.1']).toMatchObject({ is_router: false, hostname: os.hostname() });
    expect(byAddr['127.0.0.2']!.is_router).toBe(false);
    for (const c of s.clients)
      expect(Object.keys(c).sort()).toEqual(
        [
          'address',
          'first_seen',
          'hostname',
          'is_router',
          'last_seen',
          'mac',
          'name',
          'private_mac',
          'queries',
          'vendor',
        ].sort(),
      );
  });

  it('ends every CSV row with the device, its MAC, vendor and router flag', async () => {
    await settledSummary(served.base);
    const rows = parseCsv(await (await fetch(`${served.base}/api/export.csv`)).text()).slice(1);
    expect(rows).toHaveLength(sent.length);
    for (const row of rows) {
      expect(row).toHaveLength(CSV_COLUMNS.length);
      expect(row.slice(8, 12)).toEqual([os.hostname(), '', '', row[1] === '127.0.0.3' ? 'true' : 'false']);
    }
  });

  it('renames a device over RPC: the answer, the stream, the summary and the CSV show the name', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${served.uiPort}/api/stream`);
    const updates: DeviceInfo[] = [];
    ws.on('message', (data: Buffer) => {
      const msg = JSON.parse(data.toString()) as StreamMessage;
      if (msg.channel === 'device:update') updates.push(msg.payload);
    });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const r = await rpc(served.base, 'device:rename', { address: '127.0.0.2', name: '  Living room TV ' });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { result: DeviceInfo }).result).toMatchObject({
      address: '127.0.0.2',
      name: 'Living room TV',
      hostname: os.hostname(),
      isRouter: false,
    });
    await waitFor(
      () => (updates.some((d) => d.name === 'Living room TV') ? true : undefined),
      3000,
      'update',
    );
    ws.close();
    const s = await getJson<Summary>(`${served.base}/api/summary`);
    expect(s.body.clients.find((c) => c.address === '127.0.0.2')).toMatchObject({
      name: 'Living room TV',
      hostname: os.hostname(),
    });
    const rows = parseCsv(await (await fetch(`${served.base}/api/export.csv?client=127.0.0.2`)).text());
    expect(rows.slice(1).map((row) => row[8])).toEqual(['Living room TV', 'Living room TV']);

    const tooLong = await rpc(served.base, 'device:rename', { address: '127.0.0.2', name: 'x'.repeat(65) });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as { error: string }).error).toBe(
      'invalid arguments for device:rename at name: A device name can have at most 64 characters.',
    );
    const control = await rpc(served.base, 'device:rename', { address: '127.0.0.2', name: 'TV\u0007' });
    expect(((await control.json()) as { error: string }).error).toMatch(/cannot contain control characters/);
    const notIp = await rpc(served.base, 'device:rename', { address: 'tv.lan', name: 'TV' });
    expect(notIp.status).toBe(400);
    expect(((await notIp.json()) as { error: string }).error).toMatch(/at address: not an IP address/);
    // The refused names changed nothing.
    const after = await getJson<Summary>(`${served.base}/api/summary`);
    expect(after.body.clients.find((c) => c.address === '127.0.0.2')!.name).toBe('Living room TV');
  });

  it('refuses a foreign Host header and a WebSocket from a foreign origin', async () => {
    // fetch() cannot set Host or Origin (forbidden headers), so these requests go through node:http.
    const port = served.uiPort;
    expect(await rawStatus(port, 'GET', '/api/summary', { host: `attacker.example:${port}` })).toBe(403);
    expect(await rawStatus(port, 'GET', '/api/summary', { host: `localhost:${port}` })).toBe(200);
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api/stream`, { origin: 'http://attacker.example' });
      ws.on('open', () => resolve('open'));
      ws.on('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.on('error', () => resolve('error'));
    });
    expect(refused).toBe('403');
    expect(await rawStatus(port, 'POST', '/api/rpc/status:get', { origin: 'http://attacker.example' })).toBe(
      403,
    );
    expect(await rawStatus(port, 'POST', '/api/rpc/status:get', { origin: served.base })).toBe(200);
  });

  it('answers the dashboard RPC and validates its arguments', async () => {
    const post = (channel: string, args?: unknown) =>
      fetch(`${served.base}/api/rpc/${channel}`, { method: 'POST', body: JSON.stringify({ args }) });
    const snap = (await (await post('capture:snapshot', { rangeMinutes: 60 })).json()) as {
      result: { lastSeq: number; clients: unknown[]; devices: DeviceInfo[] };
    };
    expect(snap.result.clients).toHaveLength(3);
    expect(snap.result.devices.map((d) => d.address).sort()).toEqual(['127.0.0.1', '127.0.0.2', '127.0.0.3']);
    expect(snap.result.devices.find((d) => d.address === '127.0.0.3')!.isRouter).toBe(true);
    const bad = await post('capture:snapshot', { rangeMinutes: -1 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain('rangeMinutes');
    expect((await post('no:such')).status).toBe(404);
    expect((await fetch(`${served.base}/api/rpc/status:get`)).status).toBe(405);
  });
});

describe('serve journal', () => {
  it('keeps every query already flushed after SIGKILL and loads it on restart', async () => {
    const upstream = await startDnsmasq();
    const first = await startServe(upstream.port);
    try {
      const n = 40;
      for (let i = 0; i < n; i++) await dig(first.dnsPort, `k${i}.wild.example.test`, 'A');
      // The journal is flushed at least every 250 ms; a hard kill loses at most what came after.
      await new Promise((r) => setTimeout(r, 1000));
      expect(await first.stop('SIGKILL')).toBe('SIGKILL');

      const captures = await readdir(path.join(first.dataDir, 'captures'));
      expect(captures).toHaveLength(1);
      const journal = await readFile(
        path.join(first.dataDir, 'captures', captures[0]!, 'journal.ndjson'),
        'utf8',
      );
      const all = journal.trim().split('\n');
      for (const l of all) expect(() => JSON.parse(l) as unknown).not.toThrow();
      // Each written block is followed by a seal of the journal's hash chain (capture/chain.ts).
      const lines = all.filter((l) => !l.startsWith('{"chain":'));
      expect(lines).toHaveLength(n);
      expect(all.at(-1)).toMatch(/^\{"chain":\d+,"from":\d+,"to":40,/);

      const second = await startServe(upstream.port, { dataDir: first.dataDir });
      try {
        const s = await getJson<Summary>(`${second.base}/api/summary`);
        expect(s.body.total_queries).toBe(n);
        expect(s.body.captures).toHaveLength(2);
        expect(s.body.captures[0]).toMatchObject({ id: captures[0], state: 'stopped' });
        expect(s.body.captures[1]!.state).toBe('running');
        const after = await newestAfter(second.base, 'after.wild.example.test', 'A', () =>
          dig(second.dnsPort, 'after.wild.example.test', 'A'),
        );
        expect(after).toMatchObject({ qname: 'after.wild.example.test', seq: n + 1 });
      } finally {
        await second.stop();
      }
    } finally {
      await upstream.stop();
      await removeDir(first.dataDir);
    }
  });
});

describe('serve devices across a restart', () => {
  it('keeps device names and the router the dashboard named', async () => {
    const upstream = await startDnsmasq();
    const first = await startServe(upstream.port);
    try {
      await dig(first.dnsPort, 'www.example.test', 'A', ['-b', '127.0.0.4']);
      await dig(first.dnsPort, 'www.example.test', 'A', ['-b', '127.0.0.5']);
      await waitFor(
        async () =>
          (await getJson<Summary>(`${first.base}/api/summary`)).body.clients.length >= 2 ? true : undefined,
        5000,
        'both devices in /api/summary',
      );
      expect(
        (await rpc(first.base, 'device:rename', { address: '127.0.0.4', name: 'Anna’s phone' })).status,
      ).toBe(200);
      const set = await rpc(first.base, 'device:set-routers', { addresses: ['127.0.0.5'] });
      expect(set.status).toBe(200);
      const devices = ((await set.json()) as { result: DeviceInfo[] }).result;
      expect(devices.find((d) => d.address === '127.0.0.5')!.isRouter).toBe(true);
      expect(devices.find((d) => d.address === '127.0.0.4')!.isRouter).toBe(false);
      const badRouter = await rpc(first.base, 'device:set-routers', { addresses: ['the router'] });
      expect(badRouter.status).toBe(400);
      expect(await first.stop()).toBe(0);

      const second = await startServe(upstream.port, { dataDir: first.dataDir });
      try {
        const s = await getJson<Summary>(`${second.base}/api/summary`);
        expect(s.body.routers).toContain('127.0.0.5');
        const byAddr = Object.fromEntries(s.body.clients.map((c) => [c.address, c]));
        expect(byAddr['127.0.0.4']).toMatchObject({ name: 'Anna’s phone', is_router: false });
        expect(byAddr['127.0.0.5']).toMatchObject({ is_router: true });
        // Queries recorded before the restart carry today's names in the CSV.
        const rows = parseCsv(await (await fetch(`${second.base}/api/export.csv`)).text()).slice(1);
        expect(rows.map((row) => [row[1], row[8], row[11]])).toEqual([
          ['127.0.0.4', 'Anna’s phone', 'false'],
          ['127.0.0.5', expect.any(String), 'true'],
        ]);
        expect(JSON.parse(await readFile(path.join(first.dataDir, 'routers.json'), 'utf8'))).toEqual({
          version: 1,
          routers: ['127.0.0.5'],
        });
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
      await upstream.stop();
      await removeDir(first.dataDir);
    }
  });
});

/** The result of an RPC call that must succeed. */
async function rpcOk<T>(base: string, channel: string, args?: unknown): Promise<T> {
  const r = await rpc(base, channel, args);
  const body = (await r.json()) as { result?: T; error?: string };
  if (r.status !== 200) throw new Error(`${channel}: ${r.status} ${body.error ?? ''}`);
  return body.result as T;
}

/** The error message of an RPC call that must fail with `status`. */
async function rpcError(base: string, channel: string, args: unknown, status = 400): Promise<string> {
  const r = await rpc(base, channel, args);
  expect(r.status, channel).toBe(status);
  return ((await r.json()) as { error: string }).error;
}

interface ApiEvent {
  seq: number;
  qname: string;
  qtype: string;
  rcode: string;
  answers: string;
  error: string;
  watch_rule: string;
  client_ip: string;
}

/**
 * Runs `ask` (one query for `qname`/`qtype`), then waits until the service has recorded it and returns it as
 * /api/queries reports it: answering comes first, recording follows within moments (and in order).
 */
async function newestAfter(
  base: string,
  qname: string,
  qtype: string,
  ask: () => Promise<unknown>,
): Promise<ApiEvent> {
  type Page = { events: ApiEvent[] };
  const before = (await getJson<Page>(`${base}/api/queries?limit=1`)).body.events[0]?.seq ?? 0;
  await ask();
  return waitFor(
    async () => {
      const ev = (await getJson<Page>(`${base}/api/queries?limit=1`)).body.events[0];
      return ev && ev.seq > before && ev.qname === qname && ev.qtype === qtype ? ev : undefined;
    },
    5000,
    `${qname} ${qtype} to be recorded`,
  );
}

describe('serve watchlist', () => {
  const ROUTER = '127.0.0.3';
  const NAME = 'dfp-dual.safethings.avira.com';

  it('switches and blocks rules, matches own rules, counts per minute, and keeps markers across a restart', async () => {
    const upstream = await startDnsmasq();
    let served = await startServe(upstream.port, { args: ['--router', ROUTER] });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${served.uiPort}/api/stream`);
      const alerts: WatchAlert[] = [];
      const reports: WatchReport[] = [];
      ws.on('message', (data: Buffer) => {
        const msg = JSON.parse(data.toString()) as StreamMessage;
        if (msg.channel === 'watch:alert') alerts.push(msg.payload);
        if (msg.channel === 'watch:report') reports.push(msg.payload);
      });
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });

      const rules = await rpcOk<ActiveRule[]>(served.base, 'watch:rules');
      expect(rules.map((r) => r.id)).toEqual(BUILT_IN_RULES.map((r) => r.id));
      expect(rules.find((r) => r.id === 'avira-safethings')).toMatchObject({ builtIn: true, block: 'off' });

      // Forwarded as usual; the router's first contact raises one alert, and a report follows.
      for (let i = 0; i < 3; i++)
        expect((await dig(served.dnsPort, NAME, 'A', ['-b', ROUTER, '+short'])).stdout.trim()).toBe(
          '192.0.2.77',
        );
      await waitFor(() => (alerts.length > 0 ? true : undefined), 3000, 'the watch:alert event');
      expect(alerts).toEqual([
        expect.objectContaining({ rule: 'avira-safethings', address: ROUTER, vendor: 'Avira' }),
      ]);
      expect(alerts[0]!.message).toBe(
        `Your router ${ROUTER} contacted Avira SafeThings (TP-Link HomeShield / HomeCare Pro URL and device lookups).`,
      );
      await waitFor(
        () => (reports.some((r) => r.rules[0]?.routerQueries === 3) ? true : undefined),
        5000,
        'a watch:report event with the three queries',
      );

      // NXDOMAIN, then 0.0.0.0 / ::, then forwarded again; blocked queries stay in the log, marked.
      expect(
        await rpcOk<ActiveRule>(served.base, 'watch:update', { id: 'avira-safethings', block: 'nxdomain' }),
      ).toMatchObject({ id: 'avira-safethings', block: 'nxdomain', enabled: true });
      let answer = '';
      const nx = await newestAfter(served.base, NAME, 'A', async () => {
        answer = (await dig(served.dnsPort, NAME, 'A', ['-b', ROUTER])).stdout;
      });
      expect(answer).toContain('status: NXDOMAIN');
      expect(nx).toMatchObject({
        qname: NAME,
        rcode: 'NXDOMAIN',
        error: 'blocked',
        watch_rule: 'avira-safethings',
      });
      await rpcOk(served.base, 'watch:update', { id: 'avira-safethings', block: 'null' });
      expect((await dig(served.dnsPort, NAME, 'A', ['-b', ROUTER, '+short'])).stdout.trim()).toBe('0.0.0.0');
      const aaaa = await newestAfter(served.base, NAME, 'AAAA', async () => {
        answer = (await dig(served.dnsPort, NAME, 'AAAA', ['-b', ROUTER, '+short'])).stdout.trim();
      });
      expect(answer).toBe('::');
      expect(aaaa).toMatchObject({ qtype: 'AAAA', rcode: 'NOERROR', error: 'blocked', answers: '::' });
      await rpcOk(served.base, 'watch:update', { id: 'avira-safethings', block: 'off' });
      const forwarded = await newestAfter(served.base, NAME, 'A', async () => {
        answer = (await dig(served.dnsPort, NAME, 'A', ['-b', ROUTER, '+short'])).stdout.trim();
      });
      expect(answer).toBe('192.0.2.77');
      expect(forwarded).toMatchObject({ error: '', watch_rule: 'avira-safethings' });

      // Switched off: not matched (and so not blocked) until switched on again.
      await rpcOk(served.base, 'watch:update', { id: 'avira-safethings', enabled: false, block: 'nxdomain' });
      const unmatched = await newestAfter(served.base, NAME, 'A', async () => {
        answer = (await dig(served.dnsPort, NAME, 'A', ['-b', ROUTER, '+short'])).stdout.trim();
      });
      expect(answer).toBe('192.0.2.77');
      expect(unmatched).toMatchObject({ error: '', watch_rule: '' });
      await rpcOk(served.base, 'watch:update', { id: 'avira-safethings', enabled: true, block: 'off' });
      await rpcOk(served.base, 'watch:update', { id: 'asus-dns-probe', enabled: false });

      expect(await rpcError(served.base, 'watch:update', { id: 'avira-safethings' })).toBe(
        'invalid arguments for watch:update: nothing to change: give enabled or block',
      );
      expect(await rpcError(served.base, 'watch:update', { id: 'no-such-rule', enabled: true }, 500)).toBe(
        'no watchlist rule "no-such-rule"',
      );

      // Own rules: exact, suffix and wildcard patterns, refused with the engine's words when malformed.
      const base = {
        vendor: 'Example',
        integration: 'Example telemetry',
        category: 'vendor-cloud',
        explanation: '',
      };
      expect(
        await rpcError(served.base, 'watch:save-rule', { ...base, patterns: ['bad name.example.test'] }),
      ).toBe(
        'invalid arguments for watch:save-rule at patterns: "bad name" has characters a DNS name cannot have',
      );
      expect(await rpcError(served.base, 'watch:save-rule', { ...base, patterns: [] })).toMatch(
        /at patterns: a rule needs at least one pattern/,
      );
      expect(
        await rpcError(served.base, 'watch:save-rule', {
          ...base,
          id: 'avira-safethings',
          patterns: ['x.test'],
        }),
      ).toMatch(/at id: built-in rules can be switched off, not edited/);
      const own = await rpcOk<ActiveRule>(served.base, 'watch:save-rule', {
        ...base,
        patterns: ['=exact.example.test', '*.wild.example.test', 'r[0-9].example.test'],
      });
      expect(own).toMatchObject({ builtIn: false, confidence: 'user', enabled: true, block: 'off' });
      expect(own.id).toMatch(/^user-[0-9a-f]{8}$/);
      const matched: [string, string][] = [
        ['exact.example.test', own.id],
        ['sub.exact.example.test', ''],
        ['a1.wild.example.test', own.id],
        ['wild.example.test', ''],
        ['r7.example.test', own.id],
        ['rx.example.test', ''],
      ];
      for (const [name, rule] of matched) {
        const ev = await newestAfter(served.base, name, 'A', () =>
          dig(served.dnsPort, name, 'A', ['-b', '127.0.0.1']),
        );
        expect(ev.qname).toBe(name);
        expect(ev.watch_rule, name).toBe(rule);
      }

      // Markers, the router model, and the per-minute counts the charts draw.
      const marker = await rpcOk<Marker>(served.base, 'marker:add', { label: ' HomeShield switched off ' });
      expect(marker).toMatchObject({ label: 'HomeShield switched off' });
      expect(Math.abs(marker.ts - Date.now())).toBeLessThan(5000);
      const gone = await rpcOk<Marker>(served.base, 'marker:add', {
        label: 'to be removed',
        ts: marker.ts - 1000,
      });
      expect(await rpcOk(served.base, 'marker:remove', { id: gone.id })).toBeNull();
      expect(await rpcError(served.base, 'marker:add', { label: '  ' })).toBe(
        'invalid arguments for marker:add at label: a marker needs a label, e.g. "HomeShield switched off"',
      );
      expect(
        await rpcOk<WatchSettings>(served.base, 'watch-settings:router-model', { model: 'Deco X68 v1' }),
      ).toEqual({
        routerModel: 'Deco X68 v1',
        correlationWindowS: 3,
      });
      expect(
        await rpcOk<WatchSettings>(served.base, 'watch-settings:correlation-window', { seconds: 1.5 }),
      ).toEqual({ routerModel: 'Deco X68 v1', correlationWindowS: 1.5 });
      expect(await rpcError(served.base, 'watch-settings:correlation-window', { seconds: 0 })).toBe(
        'invalid arguments for watch-settings:correlation-window at seconds: The window must be at least 0.1 s',
      );
      const minutes = await rpcOk<WatchMinutes>(served.base, 'watch:minutes', { rangeMinutes: 60 });
      const q = await getJson<{ total: number }>(`${served.base}/api/queries?limit=1`);
      expect(minutes.lastSeq).toBe(q.body.total);
      const count = (rule: string) =>
        minutes.minutes
          .flatMap((b) => b.counts)
          .filter((c) => c.rule === rule)
          .reduce((n, c) => n + c.n, 0);
      // 3 forwarded, 2 NXDOMAIN/null-blocked A, 1 AAAA, 1 forwarded again; the switched-off one is not counted.
      expect(count('avira-safethings')).toBe(7);
      expect(count(own.id)).toBe(3);
      const report = await rpcOk<WatchReport>(served.base, 'watch:report');
      expect(report.rules.find((r) => r.rule === 'avira-safethings')).toMatchObject({
        queries: 7,
        routerQueries: 7,
      });
      expect(report.markers).toEqual([marker]);
      ws.close();

      // A restart keeps the marker, the switches, the own rule and the router model.
      expect(await served.stop()).toBe(0);
      served = await startServe(upstream.port, { dataDir: served.dataDir, args: ['--router', ROUTER] });
      const again = await rpcOk<WatchReport>(served.base, 'watch:report');
      expect(again.markers).toEqual([marker]);
      expect(again.rules.find((r) => r.rule === 'avira-safethings')!.queries).toBe(7);
      const summary = await getJson<{ markers: { id: string; label: string; time: string }[] }>(
        `${served.base}/api/summary`,
      );
      expect(summary.body.markers).toEqual([
        { id: marker.id, label: 'HomeShield switched off', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) },
      ]);
      // Both settings survive the restart, and the summary's correlation uses the saved window.
      expect(await rpcOk<WatchSettings>(served.base, 'watch-settings:get')).toEqual({
        routerModel: 'Deco X68 v1',
        correlationWindowS: 1.5,
      });
      // The names these channels had before (README: scripts may call them) still answer.
      expect(await rpcOk<WatchSettings>(served.base, 'settings:get')).toEqual({
        routerModel: 'Deco X68 v1',
        correlationWindowS: 1.5,
      });
      // The correlation reads the stopped capture's rows back from its journal first: a summary or two later.
      const restarted = served.base;
      const windows = await waitFor(
        async () => {
          const windowed = await getJson<{ watchlist: { correlation: { window_s: number } | null }[] }>(
            `${restarted}/api/summary`,
          );
          const found = windowed.body.watchlist.flatMap((row) =>
            row.correlation ? [row.correlation.window_s] : [],
          );
          return found.length > 0 ? found : undefined;
        },
        10_000,
        'the correlation after the restart',
      );
      expect(windows.every((w) => w === 1.5)).toBe(true);
      const after = await rpcOk<ActiveRule[]>(served.base, 'watch:rules');
      expect(after.find((r) => r.id === 'asus-dns-probe')!.enabled).toBe(false);
      expect(after.find((r) => r.id === own.id)).toMatchObject({ patterns: own.patterns });
      const b2 = await newestAfter(served.base, 'b2.wild.example.test', 'A', () =>
        dig(served.dnsPort, 'b2.wild.example.test', 'A', ['-b', '127.0.0.1']),
      );
      expect(b2).toMatchObject({ qname: 'b2.wild.example.test', watch_rule: own.id });
      expect(await rpcOk(served.base, 'watch:remove-rule', { id: own.id })).toBeNull();
      const b3 = await newestAfter(served.base, 'b3.wild.example.test', 'A', () =>
        dig(served.dnsPort, 'b3.wild.example.test', 'A', ['-b', '127.0.0.1']),
      );
      expect(b3).toMatchObject({ qname: 'b3.wild.example.test', watch_rule: '' });
      expect(await rpcError(served.base, 'watch:remove-rule', { id: own.id }, 500)).toMatch(
        /no rule of yours/,
      );
    } finally {
      await served.stop();
      await upstream.stop();
      await removeDir(served.dataDir);
    }
  });
});

describe('serve command line', () => {
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [HEADLESS, ...args], { encoding: 'utf8', timeout: 15_000 });

  it('documents every flag in --help', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    for (const flag of [
      '--listen',
      '--upstream',
      '--allow',
      '--ui',
      '--data-dir',
      '--retention-days',
      '--timeout',
      '--max-inflight',
      '--no-capture',
      '--router',
    ])
      expect(r.stdout).toContain(flag);
  });

  it.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--upstream', 'dns.example'], /--upstream needs an IP address/],
    [['--listen', '127.0.0.1:99999'], /--listen needs an IP address/],
    [['--allow', '10.0.0.0/33'], /--allow needs an address range/],
    [['--timeout', 'soon'], /--timeout needs a whole number/],
    [['--router', 'router.lan'], /--router needs an IP address \(e\.g\. 192\.168\.0\.1\), got "router\.lan"/],
    [['--router', '192.168.0.256'], /--router needs an IP address/],
    [['extra'], /Unexpected argument 'extra'/],
  ])('%j: one clear line and exit code 2', (args, message) => {
    const r = cli(args);
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it('exits 1 with the cause when the DNS port is taken', async () => {
    const upstream = await startDnsmasq();
    try {
      // dnsmasq holds its port on 127.0.0.1: listening there must fail and say so.
      const r = await run(process.execPath, [
        HEADLESS,
        '--listen',
        `127.0.0.1:${upstream.port}`,
        '--upstream',
        '127.0.0.1:9',
        '--ui',
        '127.0.0.1:0',
        '--data-dir',
        '/tmp/dnsw-busy-test',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `Cannot listen on 127.0.0.1:${upstream.port} (UDP): the port is already in use`,
      );
      expect(r.stderr).toContain('no DNS listener could be started');
    } finally {
      await upstream.stop();
      await removeDir('/tmp/dnsw-busy-test');
    }
  });

  it('refuses a data folder another running instance uses, naming its pid', async () => {
    const upstream = await startDnsmasq();
    const a = await startServe(upstream.port);
    try {
      const dns = await freePort();
      const r = await run(process.execPath, [
        HEADLESS,
        '--listen',
        `127.0.0.1:${dns}`,
        '--upstream',
        `127.0.0.1:${upstream.port}`,
        '--ui',
        '127.0.0.1:0',
        '--data-dir',
        a.dataDir,
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr.trim()).toBe(
        `dns-witness serve: cannot use the data folder: another DNS Witness (pid ${a.child.pid}) is using ${a.dataDir}; close it first, or give this one its own folder with --data-dir`,
      );
    } finally {
      await a.stop();
      await upstream.stop();
      await removeDir(a.dataDir);
    }
  });

  it('takes over a lock whose pid a program other than DNS Witness now has, says so and answers DNS', async () => {
    // After a power cut the pid in the lock may belong to anything: here a live `sleep`.
    const upstream = await startDnsmasq();
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-stale-lock-'));
    let a: Served | null = null;
    try {
      await writeFile(
        path.join(dataDir, 'dns-witness.lock'),
        JSON.stringify({ pid: other.pid, host: os.hostname(), since: '2026-01-01T00:00:00.000Z' }),
      );
      a = await startServe(upstream.port, { dataDir });
      const r = await dig(a.dnsPort, 'www.example.test');
      expect(r.stdout).toContain('status: NOERROR');
      await waitFor(
        () =>
          a!.output().includes(`took over the lock on ${dataDir}: process ${other.pid} is not DNS Witness`)
            ? true
            : undefined,
        5_000,
        'the take-over log line',
      );
    } finally {
      other.kill('SIGKILL');
      await a?.stop();
      await upstream.stop();
      await removeDir(dataDir);
    }
  });

  it('exits 1 with the cause when the dashboard port is taken', async () => {
    const upstream = await startDnsmasq();
    const a = await startServe(upstream.port);
    try {
      const dns = await freePort();
      const r = await run(process.execPath, [
        HEADLESS,
        '--listen',
        `127.0.0.1:${dns}`,
        '--upstream',
        `127.0.0.1:${upstream.port}`,
        '--ui',
        `127.0.0.1:${a.uiPort}`,
        '--data-dir',
        a.dataDir + '-2',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(`cannot serve the dashboard on 127\\.0\\.0\\.1:${a.uiPort}: the port is in use`),
      );
    } finally {
      await a.stop();
      await upstream.stop();
      await removeDir(a.dataDir);
      await removeDir(a.dataDir + '-2');
    }
  });
});
