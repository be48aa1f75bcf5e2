import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSqlite, mutate, PIHOLE_SQL, readBytes, seeded } from '../test-support';
import { ImportError } from '../types';
import { ftlOutcome, ftlRcode, ftlType, pihole } from './pihole';

const read = pihole.read!;
const T0 = Date.parse('2026-11-20T09:00:00Z');
let dir: string;
const db: Record<'v5' | 'v6', Buffer> = { v5: Buffer.alloc(0), v6: Buffer.alloc(0) };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'dnsw-pihole-'));
  for (const v of ['v5', 'v6'] as const) {
    buildSqlite(PIHOLE_SQL[v], join(dir, `${v}.db`));
    db[v] = readFileSync(join(dir, `${v}.db`));
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Pi-hole FTL database', () => {
  it('maps FTL v5/v6 codes (src/enums.h) to DNS types and outcomes', () => {
    expect([1, 2, 6, 16, 100 + 257, 100 + 52].map(ftlType)).toEqual([
      'A',
      'AAAA',
      'PTR',
      'HTTPS',
      'CAA',
      'TLSA',
    ]);
    expect([0, 1, 2, 4, 7, 8, 12].map(ftlRcode)).toEqual([
      '',
      'NOERROR',
      'NXDOMAIN',
      'NOERROR',
      'SERVFAIL',
      'REFUSED',
      '',
    ]);
    expect([1, 2, 3, 6, 15, 17, 18].map(ftlOutcome)).toEqual([
      { error: 'blocked', cached: false },
      { error: '', cached: false },
      { error: '', cached: true },
      { error: '', cached: false },
      { error: 'busy', cached: false },
      { error: '', cached: true },
      { error: '', cached: false },
    ]);
  });

  for (const v of ['v5', 'v6'] as const)
    it(`reads a ${v} database built from FTL's schema: every query, devices from the network tables`, async () => {
      expect(pihole.sniff(db[v], 'pihole-FTL.db')).toBe(true);
      // v6's file says WAL in its header: read all the same.
      expect(db[v][18]).toBe(v === 'v6' ? 2 : 1);
      const { records, skipped, devices } = await readBytes(read, db[v], 'pihole-FTL.db');
      expect(skipped).toBe(0);
      expect(records).toHaveLength(336);
      const router = records.filter((r) => r.client === '192.168.1.1');
      expect(router).toHaveLength(300);
      expect(router.every((r) => r.qname.endsWith('.safethings.avira.com') && r.qtype === 'A')).toBe(true);
      const frac = v === 'v6' ? 125 : 0;
      expect(router[0]).toMatchObject({
        ts: T0 + frac,
        qname: 'gw.safethings.avira.com',
        rcode: 'NOERROR',
        upstream: '192.0.2.53:53',
        latencyMs: 12.5,
        error: '',
        clientPort: 0,
        transport: 'udp',
        responseWire: null,
      });
      expect(router[0]!.queryWire).toHaveLength(0);
      expect(router[4]).toMatchObject({ ts: T0 + 4000 + frac, upstream: 'cache', latencyMs: 0.1 });
      // One a second, in order.
      expect(router.map((r) => r.ts - router[0]!.ts)).toEqual(router.map((_, i) => i * 1000));
      const laptop = records.filter((r) => r.client === '192.168.1.23').slice(0, 5);
      expect(laptop.map((r) => [r.qname, r.qtype, r.rcode, r.error, r.upstream])).toEqual([
        ['www.example.org', 'AAAA', 'NOERROR', '', '192.0.2.53:53'],
        ['ads.doubleclick.net', 'A', 'NOERROR', 'blocked', ''],
        ['nx.example.org', 'A', 'NXDOMAIN', '', '192.0.2.53:53'],
        ['example.org', 'CAA', 'NOERROR', '', '192.0.2.53:53'],
        ['www.example.org', 'HTTPS', 'NOERROR', '', 'cache'],
      ]);
      expect(records.find((r) => r.client === 'fd00::23')).toMatchObject({ upstream: '[2001:db8::53]:53' });
      expect(Object.fromEntries(devices)).toEqual({
        '192.168.1.1': { mac: 'f4:f2:6d:12:34:57', name: 'router.lan' },
        '192.168.1.23': { mac: '3c:22:fb:12:34:56', name: 'laptop.lan' },
        'fd00::23': { mac: '3c:22:fb:12:34:56', name: 'laptop.lan' },
        // Seen by FTL without a MAC ("ip-192.168.1.50"): the name only.
        '192.168.1.50': { mac: '', name: 'printer.lan' },
      });
    });

  it('refuses a truncated file and an SQLite file that is not Pi-hole’s, in one line', async () => {
    await expect(readBytes(read, db.v6.subarray(0, 3000), 'pihole-FTL.db')).rejects.toThrow(
      /^Pi-hole FTL database pihole-FTL\.db: /,
    );
    const plain = join(dir, 'plain.db');
    const sql = join(dir, 'plain.sql');
    writeFileSync(sql, 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);\n');
    buildSqlite(sql, plain);
    await expect(readBytes(read, readFileSync(plain), 'notes.db')).rejects.toThrow(
      'Pi-hole FTL database notes.db: an SQLite database without a queries table or view: not Pi-hole’s',
    );
    // Pi-hole's other database (gravity.db, schema as in FTL's src/database/gravity-schema.sql, in part).
    writeFileSync(sql, 'CREATE TABLE gravity (domain TEXT NOT NULL, adlist_id INTEGER NOT NULL);\n');
    const gravity = join(dir, 'gravity.db');
    buildSqlite(sql, gravity);
    await expect(readBytes(read, readFileSync(gravity), 'gravity.db')).rejects.toThrow(
      'Pi-hole FTL database gravity.db: Pi-hole’s gravity database (its block lists): the queries are in pihole-FTL.db',
    );
  });

  it('fuzz: damaged databases give records or one ImportError, never another failure', async () => {
    const rand = seeded(0xf71);
    for (let i = 0; i < 60; i++) {
      const bytes = mutate(i % 2 === 0 ? db.v5 : db.v6, rand);
      try {
        const { records } = await readBytes(read, bytes, 'pihole-FTL.db');
        expect(records.length).toBeLessThanOrEqual(336);
      } catch (err) {
        expect(err).toBeInstanceOf(ImportError);
        expect((err as Error).message).not.toContain('\n');
      }
    }
  });
});
