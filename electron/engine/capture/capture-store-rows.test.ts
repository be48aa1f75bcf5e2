import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { QueryListRequest } from '@shared/api';
import type { QueryFilter } from '@shared/events';
import { InsightsTracker } from '../watch/insights';
import type { CaptureStore, CaptureStoreOptions, StoreCursor } from './capture-store';
import { ChunkPool, EventColumns, NARROW_CHUNK_BYTES } from './columns';
import { ByteLru } from './row-cache';
import { captureStoreHarness } from './capture-store-harness';
import { exchange } from './test-support';

// Stopped captures' rows read back from their journals on demand, against the same rows held from the start.

const T0 = Date.UTC(2026, 10, 23, 1, 45, 0);
const HOUR = 3_600_000;
/** What one capture's rows take in the cache: a whole chunk of 16,384 rows, whatever fewer it holds. */
const ONE_CAPTURE = 1_200_000;

let now = T0;
const harness = captureStoreHarness(() => now);
const warnings = harness.warnings;
const openStore = (over: Partial<CaptureStoreOptions> = {}): Promise<CaptureStore> => harness.open(over);
const closeStore = (store: CaptureStore): Promise<void> => harness.close(store);

beforeEach(() => {
  now = T0;
});

/**
 * `captures` stopped captures of `perCapture` queries an hour apart (a router asking Avira SafeThings, devices
 * browsing, some blocked), each with its checkpoint; returns their ids.
 */
async function history(captures: number, perCapture: number): Promise<string[]> {
  const s = await openStore();
  const ids: string[] = [];
  for (let c = 0; c < captures; c++) {
    ids.push(s.start().id);
    for (let i = 0; i < perCapture; i++) {
      now += 1_009;
      const router = i % 4 === 0;
      s.record(
        exchange(
          {
            ts: now,
            client: router ? '192.168.0.1' : `192.168.0.${10 + ((i + c) % 5)}`,
            qname: router ? `t${i % 3}.safethings.avira.com` : `n${(i * 7 + c) % 41}.example`,
            qtype: i % 9 === 0 ? 'AAAA' : 'A',
            watchRule: router ? 'avira-safethings' : '',
            error: router && i % 8 === 0 ? 'blocked' : '',
          },
          i,
        ),
      );
    }
    await s.stop();
    now += HOUR;
  }
  await closeStore(s);
  return ids;
}

/** Every page of `req` in turn, `limit` at a time, as the query log and the API page through them. */
async function allPages(s: CaptureStore, req: QueryListRequest, limit: number) {
  const pages = [];
  for (let offset = 0; ; offset += limit) {
    const page = await s.query({ ...req, offset, limit });
    pages.push(page);
    if (offset + limit >= page.total) return pages;
  }
}

async function csvOf(s: CaptureStore, filter: QueryFilter): Promise<string> {
  let text = '';
  for await (const chunk of s.csv(filter)) text += chunk;
  return text;
}

/** The insights over every row (the watchlist's correlation, lookup shape and visibility checks). */
async function insightsOf(s: CaptureStore) {
  const routers = ['192.168.0.1'];
  const tracker = new InsightsTracker(s, {
    rulesAskedBy: () => [],
    times: () => new Float64Array(0),
  });
  await new Promise<void>((resolve) => tracker.catchUp(() => routers, 97, resolve));
  const insights = tracker.insights({
    routers,
    clients: s.clients().map((c) => ({ ...c, isRouter: routers.includes(c.address) })),
    blockedRules: new Map([['avira-safethings', 'Avira SafeThings']]),
    recordingMs: 4 * HOUR,
    now,
  });
  return { insights, rows: tracker.rowsRead };
}

const FILTERS: QueryFilter[] = [
  {},
  { client: '192.168.0.1' },
  { client: '192.168.0.12' },
  { name: 'N1' },
  { watched: true },
  { rule: 'avira-safethings', client: '192.168.0.1' },
  { from: T0 + HOUR, to: T0 + 2 * HOUR + 5 * 60_000 },
  { client: '192.168.0.99' },
];

describe('CaptureStore rows on demand', () => {
  it('pages, exports and scans exactly as with every row held from the start', async () => {
    const ids = await history(4, 300);
    // A running capture too: its rows are always held.
    const live = await openStore();
    live.start();
    for (let i = 0; i < 50; i++) {
      now += 1000;
      live.record(exchange({ ts: now, client: '192.168.0.1', qname: 'live.example' }, i));
    }
    await live.flush();
    await closeStore(live);

    const eager = await openStore({ eagerRows: true });
    await eager.historyLoaded();
    // Room for about two captures' rows (paging and the scan evict and read back), for one (each read lets
    // the other go first and reuses its chunks), and for none.
    for (const rowCacheBytes of [2 * ONE_CAPTURE, ONE_CAPTURE, 1]) {
      // The CSV's pieces cut each capture in several.
      const lazy = await openStore({ deferHistory: true, rowCacheBytes, scanPieceRows: 7 });
      await lazy.loadHistory();
      expect(lazy.captures()).toEqual(eager.captures());
      expect(lazy.total()).toBe(4 * 300 + 50);

      for (const filter of FILTERS) {
        expect(await allPages(lazy, filter, 97), JSON.stringify(filter)).toEqual(
          await allPages(eager, filter, 97),
        );
        // A page far down, asked first.
        const deep = { ...filter, offset: 900, limit: 50 };
        expect(await lazy.query(deep)).toEqual(await eager.query(deep));
        expect(await csvOf(lazy, filter)).toBe(await csvOf(eager, filter));
      }
      expect(await lazy.query({ captureId: ids[1], limit: 1000 })).toEqual(
        await eager.query({ captureId: ids[1], limit: 1000 }),
      );
      const fromLazy = await insightsOf(lazy);
      expect(fromLazy.rows).toBe(4 * 300 + 50);
      expect(fromLazy).toEqual(await insightsOf(eager));
      expect(fromLazy.insights.lookupShape.length).toBeGreaterThan(0);
      await closeStore(lazy);
    }
    expect(warnings).toEqual([]);
  });

  it('reads no rows at open, only the captures a page reaches, and pages past the others by their counts', async () => {
    const ids = await history(3, 200);
    const s = await openStore({ deferHistory: true, recentLimit: 100 });
    expect(s.journalReads()).toEqual({ tails: 0, rows: 0 });
    await s.loadHistory();
    expect(s.total()).toBe(600);
    // The newest capture's last rows, for the snapshot's tail (recent()), and no other.
    expect(s.journalReads().rows).toBe(1);
    // The tail is read on the thread pool: waited for as a state, not a number of turns (a busy machine
    // ran 100,000 turns before its read came back).
    for (const until = Date.now() + 20_000; s.recent().length < 100 && Date.now() < until;)
      await new Promise((r) => setTimeout(r, 5));
    expect(s.recent().map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 501 + i));
    const newest = await s.query({ limit: 10 });
    expect(newest.events.map((e) => e.seq)).toEqual([600, 599, 598, 597, 596, 595, 594, 593, 592, 591]);
    expect(newest.total).toBe(600);
    expect(s.journalReads().rows).toBe(2);
    // The oldest capture's last rows: the middle one is counted, not read.
    const oldest = await s.query({ offset: 400, limit: 3 });
    expect(oldest.events.map((e) => [e.seq, e.captureId])).toEqual([
      [200, ids[0]],
      [199, ids[0]],
      [198, ids[0]],
    ]);
    expect(s.journalReads().rows).toBe(3);
    expect(s.recent().map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 501 + i));
  });

  it('says the history is loaded only once recent() holds the last rows of the newest capture', async () => {
    await history(2, 300);
    const s = await openStore({ deferHistory: true, recentLimit: 100 });
    const loading = s.loadHistory();
    // Looked at on every turn from the start: whenever it says loaded, recent() is whole.
    let sawLoading = false;
    for (const until = Date.now() + 20_000; Date.now() < until;) {
      if (s.history().state === 'loaded') break;
      sawLoading = true;
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(sawLoading).toBe(true);
    expect(s.history().state).toBe('loaded');
    expect(s.recent().map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => 501 + i));
    await loading;
    await closeStore(s);
  });

  it('keeps read-back rows up to rowCacheBytes, evicting the least recently used, and reads them back the same', async () => {
    const ids = await history(3, 200);
    // No tail for recent() to read at the start: only the pages below read rows.
    const s = await openStore({ rowCacheBytes: ONE_CAPTURE, recentLimit: 0 });
    await s.historyLoaded();
    const first = await s.query({ captureId: ids[0], limit: 1000 });
    expect(first.total).toBe(200);
    const reads = s.journalReads().rows;
    // Held: asked again, nothing is read.
    expect(await s.query({ captureId: ids[0], limit: 1000 })).toEqual(first);
    expect(s.journalReads().rows).toBe(reads);
    // Another capture's rows take its place...
    expect((await s.query({ captureId: ids[1], limit: 5 })).total).toBe(200);
    expect(s.journalReads().rows).toBe(reads + 1);
    // ...so the first is read again, and gives the same rows.
    expect(await s.query({ captureId: ids[0], limit: 1000 })).toEqual(first);
    expect(s.journalReads().rows).toBe(reads + 2);
    expect(warnings).toEqual([]);
  });

  it('exports from the journals past the cache, a piece at a time, and stops reading when the reader stops', async () => {
    const ids = await history(3, 200);
    const s = await openStore({ rowCacheBytes: 3 * ONE_CAPTURE, recentLimit: 0, scanPieceRows: 16 });
    await s.historyLoaded();
    const held = await s.query({ captureId: ids[0], limit: 1000 });
    expect(s.journalReads().rows).toBe(1);
    const whole = await csvOf(s, {});
    expect(whole.trimEnd().split('\n')).toHaveLength(1 + 600);
    // The held capture came from memory, the two others from their journals...
    expect(s.journalReads().rows).toBe(3);
    // ...and were not kept: a page of each reads it again, the held one's does not.
    expect(await s.query({ captureId: ids[0], limit: 1000 })).toEqual(held);
    expect(s.journalReads().rows).toBe(3);
    await s.query({ captureId: ids[2], limit: 1 });
    expect(s.journalReads().rows).toBe(4);

    // A reader that stops after the first chunk: the export ends there, the journal is closed, and the next
    // export is whole again.
    const fresh = await openStore({ rowCacheBytes: 1, recentLimit: 0, scanPieceRows: 16 });
    await fresh.historyLoaded();
    for await (const chunk of fresh.csv({})) {
      expect(chunk.length).toBeGreaterThan(0);
      break;
    }
    expect(await csvOf(fresh, {})).toBe(whole);
    expect(warnings).toEqual([]);
  });

  it('gives the same rows to a page, the CSV and the scan that run at once, however little the cache holds', async () => {
    const ids = await history(4, 300);
    const eager = await openStore({ eagerRows: true });
    await eager.historyLoaded();
    const expected = {
      pages: await Promise.all(ids.map((captureId) => eager.query({ captureId, limit: 1000 }))),
      named: await allPages(eager, { name: 'n1' }, 97),
      csv: await csvOf(eager, {}),
      insights: await insightsOf(eager),
    };
    for (const rowCacheBytes of [ONE_CAPTURE, 2 * ONE_CAPTURE]) {
      const lazy = await openStore({ rowCacheBytes, recentLimit: 0, scanPieceRows: 50 });
      await lazy.historyLoaded();
      // Each wants another capture's rows while the others hold theirs: what the cache lets go is reused.
      const [pages, named, csv, insights] = await Promise.all([
        Promise.all([...ids].reverse().map((captureId) => lazy.query({ captureId, limit: 1000 }))),
        allPages(lazy, { name: 'n1' }, 97),
        csvOf(lazy, {}),
        insightsOf(lazy),
      ]);
      expect({ pages: pages.reverse(), named, csv, insights }).toEqual(expected);
      await closeStore(lazy);
    }
    expect(warnings).toEqual([]);
  });

  it('keeps the rows an export is reading from memory readable when the cache lets them go meanwhile', async () => {
    const ids = await history(2, 2000);
    const eager = await openStore({ eagerRows: true });
    await eager.historyLoaded();
    const expected = await csvOf(eager, { captureId: ids[1] });
    const s = await openStore({ rowCacheBytes: ONE_CAPTURE, recentLimit: 0 });
    await s.historyLoaded();
    await s.query({ captureId: ids[1], limit: 1 });
    let text = '';
    let evicted = false;
    for await (const chunk of s.csv({ captureId: ids[1] })) {
      text += chunk;
      if (evicted) continue;
      // The other capture's rows take the cache's room while the export is under way.
      const reads = s.journalReads().rows;
      await s.query({ captureId: ids[0], limit: 1 });
      expect(s.journalReads().rows).toBe(reads + 1);
      evicted = true;
    }
    expect(evicted).toBe(true);
    expect(text).toBe(expected);
    // Let go once the export ended: the next page reads them back.
    const reads = s.journalReads().rows;
    await s.query({ captureId: ids[1], limit: 1 });
    expect(s.journalReads().rows).toBe(reads + 1);
  });

  it('scans each row once: a capture scanned to its end is not read back when its rows are evicted', async () => {
    const ids = await history(2, 200);
    const s = await openStore({ rowCacheBytes: ONE_CAPTURE, recentLimit: 0 });
    await s.historyLoaded();
    const visited: number[] = [];
    const visit = (cols: { seq(row: number): number }, row: number): void => void visited.push(cols.seq(row));
    // As the insights' catch-up reads: slices, waiting while rows are read back, until a slice finds none.
    const scanAll = async (): Promise<StoreCursor> => {
      let cursor: StoreCursor | null = null;
      for (;;) {
        const before = visited.length;
        const next: StoreCursor = s.scanSince(cursor, visit, 150)!;
        cursor = next;
        if (next.loading !== undefined) await next.loading;
        else if (visited.length === before) return next;
      }
    };
    const end = await scanAll();
    expect(visited).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
    // Another capture's rows push the last one's out (and another scan passes them); the scan goes on from
    // its end without reading them again.
    await s.query({ captureId: ids[0], limit: 1 });
    expect(s.scanSince(null, () => undefined, 1)?.loading).toBeUndefined();
    const reads = s.journalReads().rows;
    const again = s.scanSince(end, visit);
    expect(again).toEqual(end);
    expect(s.scanSince(again, visit)?.loading).toBeUndefined();
    expect(visited).toHaveLength(400);
    expect(s.journalReads().rows).toBe(reads);
  });

  it("warns once when a damaged journal behind a valid checkpoint is needed, and keeps the checkpoint's counts", async () => {
    const [a] = await history(2, 3000);
    const gz = join(harness.dir, 'captures', a!, 'journal.ndjson.gz');
    const bytes = await readFile(gz);
    // In the middle: the end (what binds the checkpoint) is unchanged.
    expect(bytes.length).toBeGreaterThan(3 * 4096);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    await writeFile(gz, bytes);

    const s = await openStore({ deferHistory: true, recentLimit: 0 });
    await s.loadHistory();
    const counts = { total: s.total(), clients: s.clients(), minutes: s.minutes(0) };
    expect(counts.total).toBe(6000);
    expect(warnings).toEqual([]);
    const page = await s.query({ captureId: a, limit: 10 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      new RegExp(
        `^capture ${a}: its journal is damaged \\(\\d+ unreadable line\\(s\\) or frame\\(s\\)\\): it holds \\d+ of the 3000 queries its checkpoint counts; the query log and CSV show the journal's$`,
      ),
    );
    const held = Number(/it holds (\d+) of/.exec(warnings[0]!)![1]);
    expect(held).toBeLessThan(3000);
    expect(page.total).toBe(held);
    expect(page.events.length).toBe(Math.min(10, held));
    // Its counts stay those of the checkpoint; paging counts the rows it has.
    expect({ total: s.total(), clients: s.clients(), minutes: s.minutes(0) }).toEqual(counts);
    expect((await s.query({ limit: 1 })).total).toBe(3000 + page.total);
    await s.query({ captureId: a, limit: 10, offset: 10 });
    expect(warnings).toHaveLength(1);
  });
});

describe('EventColumns release and ChunkPool', () => {
  const ev = (i: number) => ({ ...exchange({ ts: T0 + i, qname: `n${i}.example` }, i), offset: 0 });

  it('gives its chunks to the pool once unpinned, and columns built from them read only their own rows', () => {
    const pool = new ChunkPool(2 * NARROW_CHUNK_BYTES);
    const a = new EventColumns(pool);
    for (let i = 0; i < 20_000; i++) a.append(i + 1, ev(i), 0);
    a.pin();
    a.release();
    // Pinned: still readable, nothing given.
    expect([a.isReleased, a.length, a.seq(19_999), pool.bytes]).toEqual([false, 20_000, 20_000, 0]);
    a.unpin();
    expect([a.isReleased, a.length, pool.bytes]).toEqual([true, 0, 2 * NARROW_CHUNK_BYTES]);
    const b = new EventColumns(pool);
    for (let i = 0; i < 3; i++) b.append(100 + i, ev(50 + i), 60);
    expect(pool.bytes).toBe(NARROW_CHUNK_BYTES);
    expect(b.length).toBe(3);
    expect([b.seq(2), b.ts(2), b.offset(2), b.qnames.value(b.qnameId(2))]).toEqual([
      102,
      T0 + 52,
      60,
      'n52.example',
    ]);
    // No more than maxBytes is kept spare.
    const c = new EventColumns(pool);
    for (let i = 0; i < 3 * 16_384; i++) c.append(i + 1, ev(i), 0);
    c.release();
    expect(pool.bytes).toBe(2 * NARROW_CHUNK_BYTES);
    pool.trimTo(NARROW_CHUNK_BYTES + 1);
    expect(pool.bytes).toBe(NARROW_CHUNK_BYTES);
    expect(pool.take()).toBeDefined();
    expect([pool.take(), pool.bytes]).toEqual([undefined, 0]);
  });
});

describe('EventColumns string ids', () => {
  it('holds ids past 2 bytes, widening only the chunks that need it', () => {
    const cols = new EventColumns();
    const names = 70_000;
    for (let i = 0; i < names + 10; i++)
      cols.append(i + 1, exchange({ ts: T0 + i, qname: `n${i % names}.example`, client: '10.0.0.1' }, i), 0);
    // Chunks 0-3 (rows 0-65,535) keep 2-byte ids; chunk 4's names column holds ids past 65,535.
    expect(cols.bytes - cols.qnames.bytes - cols.clients.bytes).toBeGreaterThan(5 * NARROW_CHUNK_BYTES);
    for (const row of [0, 65_535, 65_536, 69_999, 70_000, 70_009])
      expect([
        cols.seq(row),
        cols.qnames.value(cols.qnameId(row)),
        cols.clients.value(cols.clientId(row)),
      ]).toEqual([row + 1, `n${row % names}.example`, '10.0.0.1']);
    const filter = { client: -1, names: new Uint8Array(names), from: -Infinity, to: Infinity, rules: null };
    filter.names[69_999] = 1;
    const rows: number[] = [];
    cols.scan(filter, 0, cols.length, false, (row) => void rows.push(row));
    expect(rows).toEqual([69_999]);
  });
});

describe('ByteLru', () => {
  it('reserves room by evicting the least recently used, and tells what leaves', () => {
    const gone: string[] = [];
    const lru = new ByteLru<string, string>(10, (v) => gone.push(v));
    lru.set('a', 'A', 4);
    lru.set('b', 'B', 4);
    lru.reserve(11);
    expect(gone).toEqual([]);
    lru.reserve(5);
    expect([gone, lru.has('a'), lru.bytes]).toEqual([['A'], false, 4]);
    // The same value again only changes its size; another value replaces it.
    lru.set('b', 'B', 5);
    expect(gone).toEqual(['A']);
    lru.set('b', 'B2', 5);
    lru.delete('b');
    expect(gone).toEqual(['A', 'B', 'B2']);
  });

  it('evicts the least recently used until the total fits, and keeps nothing larger than the whole', () => {
    const lru = new ByteLru<string, number>(10);
    expect(lru.set('a', 1, 4)).toBe(true);
    expect(lru.set('b', 2, 4)).toBe(true);
    expect(lru.get('a')).toBe(1);
    expect(lru.set('c', 3, 4)).toBe(true);
    expect([lru.has('a'), lru.has('b'), lru.has('c')]).toEqual([true, false, true]);
    expect(lru.bytes).toBe(8);
    expect(lru.set('d', 4, 11)).toBe(false);
    expect(lru.has('d')).toBe(false);
    expect(lru.bytes).toBe(8);
    lru.set('c', 5, 2);
    expect([lru.get('c'), lru.bytes, lru.size]).toEqual([5, 6, 2]);
    lru.delete('a');
    expect([lru.bytes, lru.size]).toEqual([2, 1]);
  });
});
