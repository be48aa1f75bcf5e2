/**
 * Answers that do not grow with the number of clients: a history of 100,000 distinct client addresses
 * (written in the service's own journal format by scripts/bench/history-journal.mjs), then /api/summary, the
 * dashboard's snapshot and GET /api/clients, which pages through all of them.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Snapshot } from '@shared/events';
import { writeHistory } from '../../scripts/bench/history-journal.mjs';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { dig } from '../helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CLIENTS = 100_000;
const QUERIES = 200_000;
const MB = 1024 * 1024;

/** GET the text of `url`; waits out the service's load shedding (503 with Retry-After), at most 30 times. */
async function getText(url: string, init?: RequestInit): Promise<string> {
  let res = await fetch(url, init);
  for (let i = 0; i < 30 && res.status === 503; i++) {
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
    res = await fetch(url, init);
  }
  const text = await res.text();
  expect(res.status, `${url}: ${text.slice(0, 200)}`).toBe(200);
  return text;
}

let upstream: Dnsmasq;
let served: Served;

beforeAll(async () => {
  upstream = await startDnsmasq();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-clients-'));
  await writeHistory({ root: ROOT, dataDir, queries: QUERIES, clients: CLIENTS });
  served = await startServe(upstream.port, { dataDir, args: ['--router', '192.168.0.1'] });
}, 300_000);

afterAll(async () => {
  await served?.stop();
  await upstream?.stop();
  if (served) await removeDir(served.dataDir);
});

describe('100,000 clients', () => {
  it('keeps /api/summary under 1 MB: the busiest clients and the router, the rest counted', async () => {
    const text = await getText(`${served.base}/api/summary`);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MB);
    const s = JSON.parse(text) as {
      total_queries: number;
      clients_total: number;
      clients: { address: string; queries: number; is_router: boolean }[];
      other_clients: { clients: number; queries: number };
    };
    // The router (192.168.0.1) and every one of the 100,000 devices asked.
    expect(s.clients_total).toBe(CLIENTS + 1);
    expect(s.total_queries).toBe(QUERIES);
    expect(s.clients.length).toBe(100);
    expect(s.clients[0]).toMatchObject({ address: '192.168.0.1', is_router: true });
    const listed = s.clients.reduce((n, c) => n + c.queries, 0);
    expect(s.other_clients).toEqual({ clients: CLIENTS + 1 - 100, queries: QUERIES - listed });
    const counts = s.clients.map((c) => c.queries);
    expect([...counts].sort((a, b) => b - a)).toEqual(counts);
  });

  it('pages through every client with GET /api/clients and the device:list request', async () => {
    const seen = new Set<string>();
    let queries = 0;
    for (let offset = 0; ; offset += 1000) {
      const page = JSON.parse(await getText(`${served.base}/api/clients?offset=${offset}&limit=1000`)) as {
        total: number;
        clients: { address: string; queries: number }[];
      };
      expect(page.total).toBe(CLIENTS + 1);
      for (const c of page.clients) {
        seen.add(c.address);
        queries += c.queries;
      }
      if (page.clients.length < 1000) break;
      expect(offset).toBeLessThan(CLIENTS);
    }
    expect(seen.size).toBe(CLIENTS + 1);
    expect(queries).toBe(QUERIES);
    const rpc = JSON.parse(
      await getText(`${served.base}/api/rpc/device:list`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ args: { offset: CLIENTS, limit: 10 } }),
      }),
    ) as { result: { total: number; clients: unknown[]; devices: { address: string }[] } };
    expect(rpc.result.total).toBe(CLIENTS + 1);
    expect(rpc.result.clients).toHaveLength(1);
    expect(rpc.result.devices).toHaveLength(1);
    expect(await getText(`${served.base}/api/clients?limit=1001`, {}).catch((e: Error) => e.message)).toMatch(
      /400/,
    );
  }, 120_000);

  it('gives the dashboard a snapshot of the busiest 1,000 clients with the rest counted, and answers DNS', async () => {
    const text = await getText(`${served.base}/api/rpc/capture:snapshot`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ args: { rangeMinutes: 0 } }),
    });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2 * MB);
    const snap = (JSON.parse(text) as { result: Snapshot }).result;
    expect(snap.clients).toHaveLength(1000);
    expect(snap.otherClients!.clients).toBe(CLIENTS + 1 - 1000);
    const listed = new Set(snap.clients.map((c) => c.address));
    for (const b of snap.minutes) for (const key of Object.keys(b.counts)) expect(listed.has(key)).toBe(true);
    expect(snap.devices.every((d) => listed.has(d.address))).toBe(true);
    const r = await dig(served.dnsPort, 'www.example.test');
    expect(r.stdout).toContain('status: NOERROR');
  });
});
