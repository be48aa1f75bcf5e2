import dnsPacket from 'dns-packet';
import { seededRandom } from '@shared/watch/correlation';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { HashedReader } from './source-file';
import type { ImportRecord, ReadContext, SourceReader } from './types';

/** A seeded PRNG, so every fuzz run is the same run and a failure can be replayed. */
export const seeded = seededRandom;

/** `bytes` with a few random bytes changed, cut, or repeated: what a damaged copy of a file looks like. */
export function mutate(bytes: Uint8Array, rand: () => number): Buffer {
  const out = Buffer.from(bytes);
  const kind = Math.floor(rand() * 4);
  if (kind === 0 && out.length > 0) return out.subarray(0, Math.floor(rand() * out.length));
  if (kind === 1 && out.length > 0) {
    const at = Math.floor(rand() * out.length);
    const len = Math.min(out.length - at, 1 + Math.floor(rand() * 16));
    return Buffer.concat([out, out.subarray(at, at + len)]);
  }
  const flips = 1 + Math.floor(rand() * 8);
  for (let i = 0; i < flips && out.length > 0; i++)
    out[Math.floor(rand() * out.length)] = Math.floor(rand() * 256);
  return out;
}

/** What reading a file gave: its records, how many entries it skipped, the devices it named. */
export interface ReadOutcome {
  readonly records: ImportRecord[];
  readonly skipped: number;
  readonly devices: Map<string, { mac: string; name: string }>;
}

/** Reads `bytes` (written to a temp file named `name`) with `read`; rethrows what the reader throws. */
export async function readBytes(
  read: SourceReader,
  bytes: Uint8Array | string,
  name = 'input',
  opts: { year?: number; ports?: number[]; mtimeMs?: number } = {},
): Promise<ReadOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'dnsw-import-'));
  const path = join(dir, name);
  try {
    writeFileSync(path, bytes);
    const size = statSync(path).size;
    const reader = new HashedReader({
      path,
      name: basename(path),
      size,
      mtimeMs: opts.mtimeMs ?? Date.now(),
    });
    const records: ImportRecord[] = [];
    let skipped = 0;
    const devices = new Map<string, { mac: string; name: string }>();
    const ctx: ReadContext = {
      skip: (n = 1) => void (skipped += n),
      device: (address, mac, devName) => void devices.set(address, { mac, name: devName }),
      progress: () => undefined,
      signal: new AbortController().signal,
      year: opts.year,
      ports: new Set(opts.ports ?? []),
    };
    for await (const batch of read(reader, ctx)) records.push(...batch);
    return { records, skipped, devices };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One query for the fixture writers below. */
export interface FixtureQuery {
  readonly ts: number;
  readonly client: string;
  readonly qname: string;
  readonly qtype?: 'A' | 'AAAA';
  readonly rcode?: 'NOERROR' | 'NXDOMAIN';
  readonly answer?: string;
}

/**
 * One line of AdGuard Home's querylog.json as it writes it: the logEntry struct's fields in declaration order
 * (internal/querylog/entry.go: T, QH, QT, QC, CP, Upstream, Answer, IP, Result, Elapsed), T in RFC 3339
 * with nanoseconds, Answer the packed response in base64, Elapsed in nanoseconds.
 */
export function adguardLine(q: FixtureQuery, id = 0): string {
  const qtype = q.qtype ?? 'A';
  const rcode = q.rcode ?? 'NOERROR';
  const answers =
    rcode === 'NOERROR' && q.answer ? [{ type: qtype, name: q.qname, ttl: 60, data: q.answer }] : [];
  const response = dnsPacket.encode({
    type: 'response',
    id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (rcode === 'NXDOMAIN' ? 3 : 0),
    questions: [{ type: qtype, name: q.qname, class: 'IN' }],
    answers,
  } as dnsPacket.Packet);
  const d = new Date(q.ts);
  const T = `${d.toISOString().slice(0, 19)}.${String(d.getUTCMilliseconds()).padStart(3, '0')}123+00:00`;
  return JSON.stringify({
    T,
    QH: q.qname,
    QT: qtype,
    QC: 'IN',
    CP: '',
    Upstream: 'https://dns10.quad9.net:443/dns-query',
    Answer: response.toString('base64'),
    IP: q.client,
    Result: {},
    Elapsed: 2_345_678,
  });
}

/** A router asking SafeThings every second and a laptop browsing: `n` queries from `start`, one a second. */
export function beaconQueries(start: number, n: number): FixtureQuery[] {
  const out: FixtureQuery[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      i % 3 === 2
        ? {
            ts: start + i * 1000,
            client: '192.168.0.23',
            qname: `site${i % 50}.example`,
            answer: '192.0.2.80',
          }
        : {
            ts: start + i * 1000,
            client: '192.168.0.1',
            qname: `${i % 2 === 0 ? 'gw' : 'url'}.safethings.avira.com`,
            answer: '192.0.2.7',
          },
    );
  return out;
}

/** The Pi-hole databases' SQL (FTL's own CREATE statements and five minutes of queries). */
export const PIHOLE_SQL = {
  v5: join(import.meta.dirname, '../../../test/fixtures/import/pihole/ftl-v5.sql'),
  v6: join(import.meta.dirname, '../../../test/fixtures/import/pihole/ftl-v6.sql'),
};

/**
 * Writes the SQLite database that `sqlFile` builds, with Debian's sqlite3 command, to `dbPath`; throws
 * naming the package when sqlite3 is missing or the SQL fails.
 */
export function buildSqlite(sqlFile: string, dbPath: string): void {
  const r = spawnSync('sqlite3', [dbPath], {
    input: readFileSync(sqlFile),
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT')
    throw new Error(
      'sqlite3 is not installed: run "apt-get install sqlite3" (npm test installs it when it can)',
    );
  if (r.status !== 0) throw new Error(`sqlite3 could not build ${dbPath}: ${r.stderr}`);
}
