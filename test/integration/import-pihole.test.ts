/**
 * `npm run import` of Pi-hole databases built with the sqlite3 command from FTL's own schema (v5: database
 * version 12; v6: database version 21, in WAL mode): a router asking *.safethings.avira.com every second for
 * five minutes, a laptop and a printer. The captures are served by the built headless service: their queries
 * in the CSV, the router marked as --router said, the devices' MACs and names from Pi-hole's network tables
 * in the provenance, the device table (/api/clients) and the CSV's device columns. Damaged databases give one line, exit 1 and leave nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureInfo } from '../../shared/events';
import { buildSqlite, PIHOLE_SQL } from '../../electron/engine/import/test-support';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { startServe, type Served } from '../helpers/serve';
import { waitFor } from '../helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '../..');
const IMPORT = path.join(ROOT, 'scripts/import.mjs');
const T0 = Date.parse('2026-11-20T09:00:00Z');

function importCli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [IMPORT, ...args], { encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let work: string;
let dataDir: string;
let upstream: Dnsmasq;
let served: Served | undefined;
const db = { v5: '', v6: '' };

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dnsw-import-pihole-'));
  dataDir = path.join(work, 'data');
  for (const v of ['v5', 'v6'] as const) {
    await mkdir(path.join(work, v));
    db[v] = path.join(work, v, 'pihole-FTL.db');
    buildSqlite(PIHOLE_SQL[v], db[v]);
  }
  upstream = await startDnsmasq();
});

afterAll(async () => {
  await served?.stop();
  await upstream?.stop();
  await rm(work ?? '', { recursive: true, force: true });
});

describe('importing Pi-hole FTL databases', () => {
  it('imports v5 and v6 databases with --router, and the service shows their queries and devices', async () => {
    const ids: Record<string, string> = {};
    for (const v of ['v5', 'v6'] as const) {
      const r = importCli(db[v], '--data-dir', dataDir, '--router', '192.168.1.1', '--json');
      // Standard error has progress lines only.
      expect(r.stderr).not.toContain('dns-witness import:');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout.trimEnd().split('\n').at(-1)!) as {
        capture_id: string;
        queries: number;
        skipped: number;
        first: string;
        last: string;
      };
      expect(out).toMatchObject({
        queries: 336,
        skipped: 0,
        first: new Date(T0 + (v === 'v6' ? 125 : 0)).toISOString(),
        last: new Date(T0 + 299_000 + (v === 'v6' ? 125 : 0)).toISOString(),
      });
      ids[v] = out.capture_id;
    }
    // No DNS Witness held the folder: --router was saved like the dashboard's choice.
    expect(JSON.parse(await readFile(path.join(dataDir, 'routers.json'), 'utf8'))).toMatchObject({
      routers: ['192.168.1.1'],
    });

    served = await startServe(upstream.port, { dataDir });
    // The device table (the API's clients) shows what the network tables say of each device, once the
    // service has read the captures.
    type Client = { address: string; mac: string; vendor: string; hostname: string; is_router: boolean };
    const clients = await waitFor(
      async () => {
        const page = (await (await fetch(`${served!.base}/api/clients?limit=1000`)).json()) as {
          clients: Client[];
        };
        return page.clients.length === 4 && page.clients.every((c) => c.hostname !== '')
          ? page.clients
          : undefined;
      },
      15_000,
      'the imported devices in /api/clients',
    );
    expect(
      clients
        .map((c) => ({ address: c.address, mac: c.mac, vendor: c.vendor, hostname: c.hostname }))
        .sort((a, b) => a.address.localeCompare(b.address)),
    ).toEqual([
      {
        address: '192.168.1.1',
        mac: 'f4:f2:6d:12:34:57',
        vendor: 'TP-LINK TECHNOLOGIES CO.,LTD.',
        hostname: 'router.lan',
      },
      { address: '192.168.1.23', mac: '3c:22:fb:12:34:56', vendor: 'Apple, Inc.', hostname: 'laptop.lan' },
      { address: '192.168.1.50', mac: '', vendor: '', hostname: 'printer.lan' },
      { address: 'fd00::23', mac: '3c:22:fb:12:34:56', vendor: 'Apple, Inc.', hostname: 'laptop.lan' },
    ]);
    const summary = (await (await fetch(`${served.base}/api/summary`)).json()) as { captures: CaptureInfo[] };
    for (const v of ['v5', 'v6'] as const) {
      const info = summary.captures.find((c) => c.id === ids[v])!;
      expect(info).toMatchObject({ state: 'stopped', queries: 336 });
      expect(info.source).toMatchObject({ format: 'pihole', wire: false, partial: false, skipped: 0 });
      expect(info.source!.files[0]!.name).toBe('pihole-FTL.db');
      expect(info.source!.cannotTell.join(' ')).toContain('Pi-hole stores no DNS messages');
      expect([...info.source!.devices].sort((a, b) => a.address.localeCompare(b.address))).toEqual([
        { address: '192.168.1.1', mac: 'f4:f2:6d:12:34:57', name: 'router.lan' },
        { address: '192.168.1.23', mac: '3c:22:fb:12:34:56', name: 'laptop.lan' },
        { address: '192.168.1.50', mac: '', name: 'printer.lan' },
        { address: 'fd00::23', mac: '3c:22:fb:12:34:56', name: 'laptop.lan' },
      ]);

      const csv = await (await fetch(`${served.base}/api/export.csv?captureId=${ids[v]}`)).text();
      const rows = csv.trimEnd().split(/\r?\n/).slice(1);
      expect(rows).toHaveLength(336);
      const router = rows.filter((l) => l.split(',')[1] === '192.168.1.1');
      expect(router).toHaveLength(300);
      // The router's lookups: watched, and the client marked as the router.
      expect(router.every((l) => l.endsWith(',true,avira-safethings'))).toBe(true);
      // The device columns: the MAC and host name from Pi-hole's network tables, the vendor of that MAC.
      expect(router[0]).toBe(
        `2026-11-20T09:00:00.${v === 'v6' ? '125' : '000'}Z,192.168.1.1,gw.safethings.avira.com,A,NOERROR,,12.500,192.0.2.53:53,router.lan,f4:f2:6d:12:34:57,"TP-LINK TECHNOLOGIES CO.,LTD.",true,avira-safethings`,
      );
      const laptop = rows.filter((l) => l.split(',')[1] === 'fd00::23');
      expect(laptop.length).toBeGreaterThan(0);
      expect(laptop.every((l) => l.includes(',laptop.lan,3c:22:fb:12:34:56,"Apple, Inc.",false,'))).toBe(
        true,
      );
      expect(rows.filter((l) => l.split(',')[1] === '192.168.1.23' && l.includes(',false,'))).toHaveLength(
        30,
      );
      // No DNS messages in Pi-hole's database: the pcap export holds none rather than made-up ones.
      const pcap = Buffer.from(
        await (await fetch(`${served.base}/api/export.pcap?captureId=${ids[v]}`)).arrayBuffer(),
      );
      expect(pcap.length).toBe(24);
    }
  });

  it('refuses a truncated database and an SQLite file that is not Pi-hole’s, keeping nothing', async () => {
    const empty = path.join(work, 'empty-data');
    const truncated = path.join(work, 'truncated.db');
    await writeFile(truncated, (await readFile(db.v6)).subarray(0, 3000));
    const t = importCli(truncated, '--data-dir', empty);
    expect(t.code).toBe(1);
    expect(t.stderr).toMatch(/^dns-witness import: Pi-hole FTL database truncated\.db: .+\n$/);
    expect(t.stdout).toBe('');

    const notes = path.join(work, 'notes.db');
    const sql = path.join(work, 'notes.sql');
    await writeFile(sql, 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);\n');
    buildSqlite(sql, notes);
    const n = importCli(notes, '--data-dir', empty, '--format', 'pihole');
    expect(n.code).toBe(1);
    expect(n.stderr).toBe(
      'dns-witness import: Pi-hole FTL database notes.db: an SQLite database without a queries table or view: not Pi-hole’s\n',
    );
    expect(await readdir(path.join(empty, 'captures'))).toEqual([]);
  });
});
