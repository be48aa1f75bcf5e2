import { existsSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type { QueryBatch, QueryEvent } from '@shared/events';
import { isoLocal } from '@shared/time';
import type { CaptureStore, CaptureStoreOptions } from './capture-store';
import { FakeClock } from '../fake-clock';
import { CSV_HEADER } from './csv';
import { captureStoreHarness } from './capture-store-harness';
import { exchange, journalLine, journalText, parseCsv } from './test-support';

const T0 = Date.UTC(2026, 10, 23, 1, 45, 0);
const DAY = 86_400_000;

let now = T0;
const harness = captureStoreHarness(() => now);
const warnings = harness.warnings;
const openStore = (over: Partial<CaptureStoreOptions> = {}): Promise<CaptureStore> => harness.open(over);
const closeStore = (store: CaptureStore): Promise<void> => harness.close(store);

beforeEach(() => {
  now = T0;
});

function capturePath(id: string, file = ''): string {
  return join(harness.dir, 'captures', id, file);
}

/** Seal lines of the journal's hash chain (chain.ts) follow every written block. */
const isSeal = (line: string): boolean => line.startsWith('{"chain":');

async function journalLines(id: string): Promise<Record<string, unknown>[]> {
  const text = await journalText(capturePath(id, 'journal.ndjson'));
  return text
    .split('\n')
    .filter((l) => l !== '' && !isSeal(l))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Records `n` exchanges one second apart from the current clock, advancing it. */
function recordSome(store: CaptureStore, n: number, over: Parameters<typeof exchange>[0] = {}): void {
  for (let i = 0; i < n; i++) {
    now += 1000;
    store.record(exchange({ ts: now, ...over }, i + 1));
  }
}

describe('CaptureStore journal', () => {
  it('round-trips events through the journal and continues seq after a restart', async () => {
    const s1 = await openStore();
    const info = s1.start();
    expect(info).toMatchObject({ state: 'running', startedAt: T0, stoppedAt: 0, queries: 0 });
    expect(info.id).toMatch(/^20261123-014500-[0-9a-f]{4}$/);
    for (let i = 1; i <= 5; i++) {
      now += 1000;
      s1.record(
        exchange(
          {
            ts: now,
            client: i % 2 ? '192.168.0.1' : 'fd00::2',
            qname: `n${i}.example`,
            transport: i === 2 ? 'tcp' : 'udp',
            watchRule: i === 2 ? 'avira-safethings' : '',
            responseWire: i === 3 ? null : Uint8Array.from([i, 7]),
            rcode: i === 3 ? 'SERVFAIL' : 'NOERROR',
            error: i === 3 ? 'timeout' : '',
            latencyMs: i + 0.125,
          },
          i,
        ),
      );
    }
    const live = (await s1.query({ limit: 1000 })).events;
    expect(live.map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
    expect(live[4]).toEqual<QueryEvent>({
      seq: 1,
      ts: T0 + 1000,
      time: isoLocal(T0 + 1000),
      captureId: info.id,
      client: '192.168.0.1',
      clientPort: 40_001,
      transport: 'udp',
      qname: 'n1.example',
      qtype: 'A',
      rcode: 'NOERROR',
      answers: '18.66.1.2',
      latencyMs: 1.125,
      upstream: '1.1.1.1:53',
      size: 64,
      error: '',
      watchRule: '',
    });
    await closeStore(s1);

    const lines = await journalLines(info.id);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toMatchObject({
      seq: 1,
      captureId: info.id,
      q: Buffer.from([1, 1, 2, 3]).toString('base64'),
    });
    expect(lines[0]!.r).toBe(Buffer.from([1, 7]).toString('base64'));
    expect('r' in lines[2]!).toBe(false);
    expect(lines[1]).toMatchObject({
      transport: 'tcp',
      watchRule: 'avira-safethings',
      time: isoLocal(T0 + 2000),
    });

    now += 60_000;
    const s2 = await openStore();
    expect(s2.captures()).toEqual([
      { id: info.id, state: 'stopped', startedAt: T0, stoppedAt: T0 + 5000, queries: 5 },
    ]);
    expect((await s2.query({ limit: 1000 })).events).toEqual(live);
    expect(s2.lastSeq()).toBe(5);
    expect(s2.total()).toBe(5);
    const second = s2.start();
    expect(second.id).not.toBe(info.id);
    recordSome(s2, 1);
    expect((await s2.query({ limit: 1 })).events[0]).toMatchObject({ seq: 6, captureId: second.id });
    expect(s2.captures().map((c) => c.id)).toEqual([info.id, second.id]);
    expect(warnings).toEqual([]);
  });

  it('stop() sets stoppedAt, flushes and writes capture.json; files are private', async () => {
    const store = await openStore();
    const { id } = store.start();
    expect(store.start().id).toBe(id); // already running
    recordSome(store, 2);
    now += 3000;
    const stopped = await store.stop();
    expect(stopped).toEqual({ id, state: 'stopped', startedAt: T0, stoppedAt: T0 + 5000, queries: 2 });
    expect(JSON.parse(await readFile(capturePath(id, 'capture.json'), 'utf8'))).toEqual({
      id,
      startedAt: T0,
      stoppedAt: T0 + 5000,
    });
    expect(await journalLines(id)).toHaveLength(2);
    expect((await stat(join(harness.dir, 'captures'))).mode & 0o777).toBe(0o700);
    expect((await stat(capturePath(id))).mode & 0o777).toBe(0o700);
    expect((await stat(capturePath(id, 'capture.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(capturePath(id, 'journal.ndjson'))).mode & 0o777).toBe(0o600);
    expect((await stat(capturePath(id, 'journal.ndjson.gz'))).mode & 0o777).toBe(0o600);
    expect((await stat(capturePath(id, 'checkpoint.bin'))).mode & 0o777).toBe(0o600);
    // Stopped: every sealed line is compressed, the plain file is left empty, the checkpoint written.
    expect((await readdir(capturePath(id))).sort()).toEqual([
      'capture.json',
      'checkpoint.bin',
      'journal.ndjson',
      'journal.ndjson.gz',
    ]);
    expect((await stat(capturePath(id, 'journal.ndjson'))).size).toBe(0);

    expect(store.current()).toBeNull();
    store.record(exchange({ ts: now }));
    expect(store.total()).toBe(2); // no capture running: ignored
    expect(await store.stop()).toBeNull();

    now += 10_000;
    const next = store.start();
    expect(next.id > id).toBe(true); // ids sort by start time
    expect(store.current()).toMatchObject({ id: next.id, state: 'running' });
  });

  it('cuts a torn last line on open and appends cleanly after it', async () => {
    const s1 = await openStore();
    const { id } = s1.start();
    recordSome(s1, 3);
    await closeStore(s1);
    const path = capturePath(id, 'journal.ndjson');
    const before = await readFile(path);
    await appendFile(path, '{"seq":4,"ts":17638');

    const s2 = await openStore();
    expect((await s2.query({})).events.map((e) => e.seq)).toEqual([3, 2, 1]);
    expect(await readFile(path)).toEqual(before);
    expect(warnings.some((w) => w.includes(id) && w.includes('unfinished line'))).toBe(true);
    expect(s2.lastSeq()).toBe(3);
    s2.start();
    recordSome(s2, 1);
    expect((await s2.query({ limit: 1 })).events[0]!.seq).toBe(4);
    await closeStore(s2);

    warnings.length = 0;
    const s3 = await openStore();
    expect(s3.total()).toBe(4);
    expect(warnings).toEqual([]);
  });

  it('keeps the UTC offset each event was recorded with across a time-zone change', async () => {
    const s1 = await openStore();
    const { id } = s1.start();
    recordSome(s1, 2);
    await closeStore(s1);
    // As if recorded on a machine at +05:30 (the test machine's own zone may be anything).
    const path = capturePath(id, 'journal.ndjson');
    const lines = (await journalLines(id)).map((l) => ({ ...l, time: isoLocal(l.ts as number, 330) }));
    await rm(`${path}.gz`);
    await writeFile(path, lines.map((l) => JSON.stringify(l) + '\n').join(''));

    const s2 = await openStore();
    const times = (await s2.query({})).events.map((e) => e.time);
    expect(times).toEqual(lines.map((l) => l.time).reverse());
    expect(times[0]).toMatch(/\+05:30$/);
    let csv = '';
    for await (const chunk of s2.csv({})) csv += chunk;
    expect(
      parseCsv(csv)
        .slice(1)
        .map((row) => row[0]),
    ).toEqual(lines.map((l) => l.time));
  });

  it('skips and counts a corrupt line in the middle, never fatal', async () => {
    const s1 = await openStore();
    const { id } = s1.start();
    recordSome(s1, 3);
    await closeStore(s1);
    const path = capturePath(id, 'journal.ndjson');
    const lines = (await journalText(path)).split('\n').filter((l) => !isSeal(l));
    const damaged = [lines[0], '{"seq":2,"ts":oops garbage \u0000\u00ff', lines[1], lines[2], ''].join('\n');
    // As an uncompressed journal (written before compression, or by a writer that could not compress).
    await rm(`${path}.gz`);
    await writeFile(path, damaged);

    const s2 = await openStore();
    expect((await s2.query({})).events.map((e) => e.seq)).toEqual([3, 2, 1]);
    expect(warnings).toEqual([`capture ${id}: skipped 1 unreadable journal line(s)`]);
    expect(await readFile(path, 'utf8')).toBe(damaged); // the middle is not rewritten
  });

  it('loads a capture left running by a crash as stopped at its last event', async () => {
    const s1 = await openStore();
    const { id } = s1.start();
    recordSome(s1, 4);
    const lastTs = now;
    now += 30_000;
    await closeStore(s1); // like a kill after the last flush: capture.json still says running
    expect(JSON.parse(await readFile(capturePath(id, 'capture.json'), 'utf8'))).toMatchObject({
      stoppedAt: 0,
    });

    now += DAY;
    const s2 = await openStore();
    expect(s2.current()).toBeNull();
    expect(s2.captures()).toEqual([{ id, state: 'stopped', startedAt: T0, stoppedAt: lastTs, queries: 4 }]);
    expect(JSON.parse(await readFile(capturePath(id, 'capture.json'), 'utf8'))).toEqual({
      id,
      startedAt: T0,
      stoppedAt: lastTs,
    });
  });

  it('loads an empty interrupted capture as stopped at its start, and one without capture.json', async () => {
    const s1 = await openStore();
    const empty = s1.start();
    await closeStore(s1);
    now += 5000;
    const s2 = await openStore();
    expect(s2.captures()).toEqual([
      { id: empty.id, state: 'stopped', startedAt: T0, stoppedAt: T0, queries: 0 },
    ]);
    const other = s2.start();
    recordSome(s2, 2);
    await closeStore(s2);
    await rm(capturePath(other.id, 'capture.json'));

    const s3 = await openStore();
    const loaded = s3.captures().find((c) => c.id === other.id);
    expect(loaded).toEqual({
      id: other.id,
      state: 'stopped',
      startedAt: now - 1000,
      stoppedAt: now,
      queries: 2,
    });
  });
});

describe('CaptureStore history read after the start', () => {
  /**
   * Two stopped captures of `n` queries each, the second with watched ones; returns their ids. Without their
   * checkpoints, so their journals are read (as after an upgrade).
   */
  async function twoCaptures(n: number): Promise<string[]> {
    const s = await openStore();
    const ids: string[] = [];
    for (let c = 0; c < 2; c++) {
      ids.push(s.start().id);
      recordSome(s, n, { client: `192.168.0.${c + 1}`, watchRule: c === 1 ? 'avira-safethings' : '' });
      await s.stop();
      now += 60_000;
    }
    await closeStore(s);
    for (const id of ids) await rm(capturePath(id, 'checkpoint.bin'));
    return ids;
  }

  it('records at once with seqs above every journal, and adds the captures as they are read', async () => {
    const [a, b] = await twoCaptures(3000);
    // Small slices, so the read takes many turns of the event loop.
    const s = await openStore({ deferHistory: true, historySliceBytes: 4096 });
    expect(s.history()).toMatchObject({ state: 'loading', captures: 0, capturesTotal: 2, queries: 0 });
    expect(s.history().progress).toBe(0);
    expect(s.lastSeq()).toBe(6000);
    const live = s.start();
    recordSome(s, 2, { client: '192.168.0.9' });
    expect((await s.query({ limit: 10 })).events.map((e) => e.seq)).toEqual([6002, 6001]);
    expect(s.captures().map((c) => c.id)).toEqual([live.id]);

    const watched: string[] = [];
    const progress: number[] = [];
    const done = s.loadHistory((ts, client, rule) => watched.push(`${client} ${rule}`));
    // A look once per turn of the event loop: every slice read gives the loop back.
    for (let i = 0; i < 100_000 && s.history().state === 'loading'; i++) {
      progress.push(s.history().progress);
      await tick();
    }
    await done;
    // It went through in steps, each reading more, and the store kept answering in between.
    expect(progress.filter((p) => p > 0 && p < 1).length).toBeGreaterThan(2);
    expect([...progress].sort((x, y) => x - y)).toEqual(progress);
    expect(s.history()).toEqual({
      state: 'loaded',
      captures: 2,
      capturesTotal: 2,
      queries: 6000,
      progress: 1,
    });
    expect(s.captures().map((c) => c.id)).toEqual([a, b, live.id]);
    expect((await s.query({ limit: 1 })).total).toBe(6002);
    expect(s.clients().map((c) => [c.address, c.queries])).toEqual([
      ['192.168.0.1', 3000],
      ['192.168.0.2', 3000],
      ['192.168.0.9', 2],
    ]);
    expect(watched).toHaveLength(3000);
    expect(new Set(watched)).toEqual(new Set(['192.168.0.2 avira-safethings']));
    // Exports and other waiters see it done.
    await s.historyLoaded();
    expect(warnings).toEqual([]);
  });

  it('stops reading when closed, and leaves the journals as they were', async () => {
    const [a] = await twoCaptures(2000);
    const before = await readFile(capturePath(a!, 'journal.ndjson'));
    const s = await openStore({ deferHistory: true, historySliceBytes: 4096 });
    const done = s.loadHistory();
    for (let i = 0; i < 100_000 && s.history().progress === 0; i++) await tick();
    expect(s.history().progress).toBeGreaterThan(0);
    await closeStore(s);
    await done;
    expect(s.history().state).toBe('loading');
    expect((await readFile(capturePath(a!, 'journal.ndjson'))).equals(before)).toBe(true);
    const again = await openStore();
    expect(again.total()).toBe(4000);
  });
});

describe('CaptureStore checkpoints', () => {
  /** Two stopped captures, each over several minutes, with several clients and watched queries; returns their ids. */
  async function history(): Promise<string[]> {
    const s = await openStore();
    const ids: string[] = [];
    for (let c = 0; c < 2; c++) {
      ids.push(s.start().id);
      for (let i = 0; i < 400; i++) {
        now += 997;
        const watched = i % 5 === 0;
        s.record(
          exchange(
            {
              ts: now,
              client: watched ? '192.168.0.1' : `192.168.0.${10 + (i % (3 + c))}`,
              qname: watched ? `t${i % 2}.safethings.avira.com` : `n${i % 17}.example`,
              watchRule: watched ? 'avira-safethings' : '',
            },
            i,
          ),
        );
      }
      await s.stop();
      now += 3_600_000;
    }
    await closeStore(s);
    return ids;
  }

  /** What the dashboard and the watchlist take from the store. */
  function counts(s: CaptureStore) {
    const watched: string[] = [];
    s.forEachWatched((ts, client, rule, qname) => watched.push(`${ts} ${client} ${rule} ${qname}`));
    return {
      captures: s.captures(),
      clients: s.clients(),
      minutes: s.minutes(0),
      total: s.total(),
      lastSeq: s.lastSeq(),
      watched,
    };
  }

  /** An imported capture (import/ writes them), two watched queries three days back; returns its id. */
  async function writeImport(): Promise<string> {
    // An imported capture: its journal numbers its records from 1.
    const id = '20261120-000000-abcd';
    await mkdir(capturePath(id), { recursive: true });
    const source = {
      format: 'pihole',
      files: [{ name: 'pihole-FTL.db', bytes: 10, sha256: 'ab'.repeat(32) }],
      name: 'pihole-FTL.db',
      importedAt: now,
      app: 'DNS Witness',
      cannotTell: [],
      wire: false,
      skipped: 0,
      partial: false,
      devices: [],
    };
    await writeFile(
      capturePath(id, 'capture.json'),
      JSON.stringify({ id, startedAt: T0 - 3 * DAY, stoppedAt: T0 - 2 * DAY, source }),
    );
    const lines = [1, 2].map((seq) =>
      journalLine(
        seq,
        isoLocal(T0 - 3 * DAY + seq),
        id,
        exchange({ ts: T0 - 3 * DAY + seq, watchRule: 'x' }),
      ),
    );
    await writeFile(capturePath(id, 'journal.ndjson'), `${lines.join('\n')}\n`);

    return id;
  }

  it('counts stopped captures from their checkpoints before reading any journal, exactly as a journal read would', async () => {
    const ids = await history();
    for (const id of ids) expect(existsSync(capturePath(id, 'checkpoint.bin'))).toBe(true);

    const s = await openStore({ deferHistory: true, historySliceBytes: 4096 });
    let atFirstWatched: ReturnType<typeof counts> | null = null;
    let rowReadsThen = -1;
    const watched: string[] = [];
    await s.loadHistory((ts, client, rule, qname) => {
      // The first watched query is handed over before any journal is read, with every capture counted.
      if (atFirstWatched === null) {
        atFirstWatched = counts(s);
        rowReadsThen = s.journalReads().rows;
        // Every capture counted; "loading" still while the newest one's last rows (recent()'s) are read.
        expect(s.history()).toMatchObject({ state: 'loading', captures: 2, capturesTotal: 2, queries: 800 });
        expect(s.journalReads()).toEqual({ tails: 0, rows: 0 });
      }
      watched.push(`${ts} ${client} ${rule} ${qname}`);
    });
    expect(rowReadsThen).toBe(0);
    const fromCheckpoints = counts(s);
    expect(atFirstWatched).toEqual(fromCheckpoints);
    expect(watched).toEqual(fromCheckpoints.watched);
    expect(fromCheckpoints.total).toBe(800);
    expect(fromCheckpoints.watched).toHaveLength(160);
    // No journal is read for the counts; the rows are read back when a page reaches them, the newest
    // capture's last ones (recent()'s) before the history says loaded.
    for (const until = Date.now() + 20_000; s.history().state === 'loading' && Date.now() < until;)
      await tick();
    expect(s.history()).toMatchObject({ state: 'loaded', captures: 2, queries: 800, progress: 1 });
    // recent()'s 500 rows reach into both captures of 400.
    expect(s.journalReads().rows).toBe(2);
    expect((await s.query({ limit: 1 })).total).toBe(800);
    expect((await s.query({ limit: 1 })).events[0]).toMatchObject({ seq: 800, captureId: ids[1] });
    const page = (await s.query({ limit: 1000 })).events;
    await closeStore(s);

    // Without checkpoints the journals are read: the same counts, and the checkpoints are written again.
    for (const id of ids) await rm(capturePath(id, 'checkpoint.bin'));
    const fromJournals = await openStore();
    expect(counts(fromJournals)).toEqual(fromCheckpoints);
    expect((await fromJournals.query({ limit: 1000 })).events).toEqual(page);
    await closeStore(fromJournals);
    for (const id of ids) expect(existsSync(capturePath(id, 'checkpoint.bin'))).toBe(true);
    expect(warnings).toEqual([]);
  });

  it("takes a stopped capture's last seq from its checkpoint at open, and the journal's tail without one", async () => {
    const [a] = await history();
    const s = await openStore({ deferHistory: true });
    expect(s.journalReads().tails).toBe(0);
    expect(s.lastSeq()).toBe(800);
    await closeStore(s);
    await rm(capturePath(a!, 'checkpoint.bin'));
    const again = await openStore({ deferHistory: true });
    expect(again.journalReads().tails).toBe(1);
    expect(again.lastSeq()).toBe(800);
  });

  it('reads the journal instead of a damaged checkpoint, says so once, and writes a good one', async () => {
    const [a, b] = await history();
    const first = await openStore();
    const reference = counts(first);
    await closeStore(first);
    const path = capturePath(a!, 'checkpoint.bin');
    const bytes = await readFile(path);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x40;
    await writeFile(path, bytes);
    await writeFile(capturePath(b!, 'checkpoint.bin'), 'not a checkpoint');

    const s = await openStore();
    expect(counts(s)).toEqual(reference);
    expect(warnings).toEqual([
      `capture ${a}: its checkpoint is damaged (its checksum does not match); reading its journal instead`,
      `capture ${b}: its checkpoint is damaged (it is not a checkpoint); reading its journal instead`,
    ]);
    await closeStore(s);
    warnings.length = 0;
    const again = await openStore({ deferHistory: true });
    let rowReadsThen = -1;
    await again.loadHistory(() => {
      if (rowReadsThen < 0) rowReadsThen = again.journalReads().rows;
    });
    expect(rowReadsThen).toBe(0);
    expect(counts(again)).toEqual(reference);
    expect(warnings).toEqual([]);
  });

  it('reads the journal when it changed since its checkpoint, or the checkpoint is of another capture', async () => {
    const [a, b] = await history();
    // A line appended to a's journal after its checkpoint was written.
    const ts = now;
    await appendFile(
      capturePath(a!, 'journal.ndjson'),
      `${journalLine(9000, isoLocal(ts), a!, exchange({ ts, client: '192.168.0.99' }))}\n`,
    );
    await writeFile(capturePath(b!, 'checkpoint.bin'), await readFile(capturePath(a!, 'checkpoint.bin')));

    const s = await openStore();
    expect(warnings).toEqual([
      `capture ${a}: its checkpoint is mismatched (the journal changed since it was written); reading its journal instead`,
      `capture ${b}: its checkpoint is mismatched (it belongs to capture ${a}); reading its journal instead`,
    ]);
    expect(s.captures().map((c) => c.queries)).toEqual([401, 400]);
    expect(s.clients().find((c) => c.address === '192.168.0.99')?.queries).toBe(1);
    expect(s.lastSeq()).toBe(9000);
    const reference = counts(s);
    await closeStore(s);
    warnings.length = 0;
    // Written again from the journals: the next start counts the same from them.
    const again = await openStore();
    expect(counts(again)).toEqual(reference);
    expect(warnings).toEqual([]);
  });

  it('exports wait for the rows behind the checkpoints; closing meanwhile leaves the journals as they were', async () => {
    const [a, b] = await history();
    const s = await openStore({ deferHistory: true, historySliceBytes: 4096 });
    void s.loadHistory();
    // What CaptureService does before an export.
    await s.historyLoaded();
    let text = '';
    for await (const chunk of s.csv({})) text += chunk;
    expect(parseCsv(text)).toHaveLength(801);
    expect((await s.query({ limit: 1 })).total).toBe(800);
    await closeStore(s);

    const before = await readFile(capturePath(a!, 'journal.ndjson.gz'));
    const again = await openStore({ deferHistory: true, historySliceBytes: 4096 });
    const done = again.loadHistory();
    for (let i = 0; i < 100_000 && again.history().progress === 0; i++) await tick();
    expect(again.history()).toMatchObject({ captures: 2, queries: 800 });
    expect(again.history().progress).toBeGreaterThan(0);
    await closeStore(again);
    await done;
    expect((await readFile(capturePath(a!, 'journal.ndjson.gz'))).equals(before)).toBe(true);
    expect(existsSync(capturePath(b!, 'checkpoint.bin'))).toBe(true);
    const third = await openStore();
    expect((await third.query({ limit: 1 })).total).toBe(800);
    expect(warnings).toEqual([]);
  });

  it('leaves a capture found at open to the history read when an import is adopted meanwhile', async () => {
    const id = await writeImport();
    const s = await openStore({ deferHistory: true });
    // The folder watcher asks while the history is still to be read: not adopted twice.
    expect(await s.adopt()).toEqual([]);
    await s.loadHistory();
    expect(await s.adopt()).toEqual([]);
    expect(s.captures().map((c) => [c.id, c.queries])).toEqual([[id, 2]]);
    expect((await s.query({ limit: 10 })).total).toBe(2);
  });

  it('passes over a checkpoint of another version without a warning', async () => {
    const [a] = await history();
    const path = capturePath(a!, 'checkpoint.bin');
    const bytes = await readFile(path);
    const body = Buffer.from(bytes.subarray(0, bytes.length - 32));
    // The version byte follows the magic line.
    body[body.indexOf(10) + 1] = 99;
    await writeFile(path, Buffer.concat([body, createHash('sha256').update(body).digest()]));
    const s = await openStore();
    expect(s.total()).toBe(800);
    expect(warnings).toEqual([]);
    await closeStore(s);
    expect((await readFile(path))[body.indexOf(10) + 1]).toBe(1);
  });

  it('places an imported capture taken from its checkpoint after the seqs handed out, as a journal read does', async () => {
    const s1 = await openStore();
    s1.start();
    recordSome(s1, 3);
    await s1.stop();
    await closeStore(s1);
    const id = await writeImport();

    const fromJournal = await openStore();
    const reference = counts(fromJournal);
    const seqs = (await fromJournal.query({ limit: 10 })).events.map((e) => e.seq);
    await closeStore(fromJournal);
    expect(existsSync(capturePath(id, 'checkpoint.bin'))).toBe(true);
    const fromCheckpoint = await openStore({ deferHistory: true });
    let rowReadsThen = -1;
    await fromCheckpoint.loadHistory(() => {
      if (rowReadsThen < 0) rowReadsThen = fromCheckpoint.journalReads().rows;
    });
    expect(rowReadsThen).toBe(0);
    expect(counts(fromCheckpoint)).toEqual(reference);
    expect(reference.lastSeq).toBe(5);
    expect((await fromCheckpoint.query({ limit: 10 })).events.map((e) => e.seq)).toEqual(seqs);
    expect(warnings).toEqual([]);
  });
});

describe('CaptureStore retention', () => {
  it('deletes stopped captures older than retentionDays on open and when applied later, keeping seq', async () => {
    const s1 = await openStore({ retentionDays: 7 });
    const a = s1.start();
    recordSome(s1, 2);
    now = T0 + 3_600_000;
    await s1.stop();
    now = T0 + 6 * DAY;
    const b = s1.start();
    recordSome(s1, 3);
    await s1.stop();
    await closeStore(s1);

    // A stopped 1 h after T0, B about 6 days after: at T0 + 7 d + 2 h only A is older than 7 days.
    now = T0 + 7 * DAY + 2 * 3_600_000;
    const s2 = await openStore({ retentionDays: 7 });
    expect(s2.captures().map((c) => c.id)).toEqual([b.id]);
    expect(existsSync(capturePath(a.id))).toBe(false);
    expect(s2.lastSeq()).toBe(5);
    const c = s2.start();
    recordSome(s2, 1);

    now = T0 + 14 * DAY;
    expect(await s2.applyRetention()).toEqual([b.id]);
    expect(s2.captures().map((x) => x.id)).toEqual([c.id]); // the running capture is never deleted
    expect(existsSync(capturePath(b.id))).toBe(false);
    await s2.stop();
    await closeStore(s2);

    // Everything expired: seq must still not go back.
    now = T0 + 30 * DAY;
    const s3 = await openStore({ retentionDays: 7 });
    expect(s3.captures()).toEqual([]);
    expect(s3.lastSeq()).toBe(6);
    s3.start();
    recordSome(s3, 1);
    expect(s3.recent()[0]!.seq).toBe(7);
  });

  it('keeps everything with retentionDays 0', async () => {
    const s1 = await openStore();
    s1.start();
    recordSome(s1, 1);
    await s1.stop();
    now += 1000 * DAY;
    expect(await s1.applyRetention()).toEqual([]);
    expect(s1.captures()).toHaveLength(1);
  });
});

describe('CaptureStore live batches', () => {
  it('delivers numbered batches on its timer, with the full events', async () => {
    const store = await openStore({ batchIntervalMs: 10 });
    const { id } = store.start();
    const batches: QueryBatch[] = [];
    store.subscribe((b) => batches.push(b));
    recordSome(store, 3, { qname: 'live.example' });
    await until(() => batches.length >= 1);
    expect(batches[0]!.batch).toBe(1);
    expect(batches[0]!.dropped).toBe(0);
    expect(batches[0]!.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(batches[0]!.events[0]).toEqual((await store.query({ limit: 1000 })).events[2]);
    expect(batches[0]!.events[0]!.captureId).toBe(id);
    now += 1000;
    recordSome(store, 1);
    await until(() => batches.length >= 2);
    expect(batches[1]!.batch).toBe(2);
    expect(batches[1]!.events.map((e) => e.seq)).toEqual([4]);
  });

  it('flushes early at batchMaxEvents and drops the oldest for a subscriber beyond maxPending', async () => {
    const store = await openStore({ batchIntervalMs: 60_000, batchMaxEvents: 4 });
    store.start();
    const fast: QueryBatch[] = [];
    const slow: QueryBatch[] = [];
    store.subscribe((b) => fast.push(b));
    store.subscribe((b) => slow.push(b), { maxPending: 2 });
    recordSome(store, 10);
    // The batch timer is a minute away: only the early flush can deliver these.
    await until(() => fast.length >= 2);
    await tick();
    // The first tick also sends the remainder (no interval has run yet).
    expect(fast.map((b) => b.events.map((e) => e.seq))).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10],
    ]);
    // The slow subscriber never holds more than 2: it lost 8 events by the time its batch went out.
    expect(slow).toEqual([
      {
        batch: 1,
        events: [expect.objectContaining({ seq: 9 }), expect.objectContaining({ seq: 10 })],
        dropped: 8,
      },
    ]);
    recordSome(store, 5);
    await until(() => fast.length >= 4);
    await tick();
    // Within the interval now: the full batch goes early, the rest waits.
    expect(fast.map((b) => b.batch)).toEqual([1, 2, 3, 4]);
    expect(fast[3]!.events.map((e) => e.seq)).toEqual([11, 12, 13, 14]);
    expect(slow).toHaveLength(1);
    await closeStore(store); // delivers what is pending
    expect(fast[4]).toEqual({ batch: 5, events: [expect.objectContaining({ seq: 15 })], dropped: 0 });
    expect(slow[1]).toEqual({
      batch: 2,
      events: [expect.objectContaining({ seq: 14 }), expect.objectContaining({ seq: 15 })],
      dropped: 3,
    });
  });

  it('keeps recording and serving other listeners when one throws', async () => {
    const store = await openStore({ batchIntervalMs: 10 });
    store.start();
    const good: QueryBatch[] = [];
    store.subscribe(() => {
      throw new Error('listener bug');
    });
    store.subscribe((b) => good.push(b));
    recordSome(store, 2);
    await until(() => good.length >= 1);
    recordSome(store, 1);
    await until(() => good.reduce((n, b) => n + b.events.length, 0) >= 3);
    expect(store.total()).toBe(3);
    expect(warnings.filter((w) => w.includes('listener bug'))).toHaveLength(1);
  });

  it('stops delivering after unsubscribe', async () => {
    const store = await openStore({ batchIntervalMs: 10 });
    store.start();
    const got: QueryBatch[] = [];
    const off = store.subscribe((b) => got.push(b));
    recordSome(store, 1);
    await until(() => got.length === 1);
    off();
    recordSome(store, 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toHaveLength(1);
  });
});

describe('CaptureStore queries', () => {
  async function fixture(): Promise<{ store: CaptureStore; a: string; b: string }> {
    const store = await openStore();
    const a = store.start().id;
    // Names under safethings.avira.com matched the Avira rule when recorded; the look-alike did not.
    const add = (ts: number, client: string, qname: string): void =>
      store.record(
        exchange({
          ts: T0 + ts,
          client,
          qname,
          watchRule: /\.safethings\.avira\.com$/i.test(qname) ? 'avira-safethings' : '',
        }),
      );
    add(1000, '192.168.0.1', 'eu.safethings.avira.com'); // seq 1
    add(1500, '192.168.0.2', 'www.example.com'); // 2
    add(2000, '192.168.0.1', 'eu.safethings.avira.com'); // 3
    add(3000, '192.168.0.1', 'eu.safethings.avira.com'); // 4
    now = T0 + 10_000;
    await store.stop();
    now = T0 + 20_000;
    const b = store.start().id;
    add(21_000, '192.168.0.1', 'US.SafeThings.Avira.COM'); // 5
    add(22_000, '192.168.0.10', 'example.org'); // 6
    add(23_000, '192.168.0.2', 'avira.com.evil.example'); // 7
    return { store, a, b };
  }

  const seqs = (page: { events: readonly QueryEvent[] }): number[] => page.events.map((e) => e.seq);

  it('filters by client exactly, name case-insensitively, time range and capture', async () => {
    const { store, a, b } = await fixture();
    expect(seqs(await store.query({}))).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(seqs(await store.query({ client: '192.168.0.1' }))).toEqual([5, 4, 3, 1]);
    expect((await store.query({ client: '192.168.0' })).total).toBe(0);
    expect(seqs(await store.query({ name: 'AVIRA' }))).toEqual([7, 5, 4, 3, 1]);
    expect(seqs(await store.query({ name: 'safethings.avira.com' }))).toEqual([5, 4, 3, 1]);
    expect(seqs(await store.query({ from: T0 + 1500, to: T0 + 3000 }))).toEqual([3, 2]);
    expect(seqs(await store.query({ captureId: a }))).toEqual([4, 3, 2, 1]);
    expect(seqs(await store.query({ captureId: b, client: '192.168.0.2' }))).toEqual([7]);
    expect(seqs(await store.query({ client: '192.168.0.1', name: 'us.', from: T0 + 20_000 }))).toEqual([5]);
    expect((await store.query({ captureId: 'nope' })).total).toBe(0);
    expect(seqs(await store.query({ client: '', name: '', captureId: '' }))).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });

  it('filters by watchlist match, any rule or one rule, combined with the other filters', async () => {
    const { store, b } = await fixture();
    expect(seqs(await store.query({ watched: true }))).toEqual([5, 4, 3, 1]);
    expect(seqs(await store.query({ rule: 'avira-safethings' }))).toEqual([5, 4, 3, 1]);
    expect((await store.query({ rule: 'trend-micro' })).total).toBe(0);
    expect(seqs(await store.query({ watched: true, captureId: b }))).toEqual([5]);
    expect(seqs(await store.query({ watched: true, name: 'avira', limit: 2 }))).toEqual([5, 4]);
    expect((await store.query({ watched: true, client: '192.168.0.2' })).total).toBe(0);
    expect(seqs(await store.query({ watched: false }))).toEqual([7, 6, 5, 4, 3, 2, 1]);
  });

  it('pages newest first with total, offset and limit', async () => {
    const { store } = await fixture();
    const page = await store.query({ offset: 1, limit: 2 });
    expect(page).toMatchObject({ total: 7, offset: 1, limit: 2 });
    expect(seqs(page)).toEqual([6, 5]);
    expect(seqs(await store.query({ offset: 5, limit: 10 }))).toEqual([2, 1]);
    const past = await store.query({ offset: 50 });
    expect(past.total).toBe(7);
    expect(past.events).toEqual([]);
    expect(seqs(await store.query({ name: 'avira', offset: 1, limit: 2 }))).toEqual([5, 4]);
  });

  it('defaults limit to 100 and caps it at 1000', async () => {
    const store = await openStore();
    store.start();
    recordSome(store, 1500);
    expect((await store.query({})).events).toHaveLength(100);
    const big = await store.query({ limit: 5000 });
    expect(big.limit).toBe(1000);
    expect(big.events).toHaveLength(1000);
    expect(big.events[0]!.seq).toBe(1500);
    expect(big.events[999]!.seq).toBe(501);
  });

  it('returns recent events oldest first, across captures, bounded by recentLimit', async () => {
    const { store } = await fixture();
    expect(store.recent(3).map((e) => e.seq)).toEqual([5, 6, 7]);
    expect(store.recent(5).map((e) => e.seq)).toEqual([3, 4, 5, 6, 7]);
    expect(store.recent().map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const small = await openStore({ dataDir: join(harness.dir, 'small'), recentLimit: 2 });
    small.start();
    recordSome(small, 3);
    expect(small.recent(10).map((e) => e.seq)).toEqual([2, 3]);
    expect(small.recent().map((e) => e.seq)).toEqual([2, 3]);
    expect(small.recent(0)).toEqual([]);
  });
});

describe('CaptureStore aggregates', () => {
  it('totals clients across captures, most queries first', async () => {
    const store = await openStore();
    store.start();
    store.record(exchange({ ts: T0 + 1000, client: '10.0.0.2' }));
    store.record(exchange({ ts: T0 + 2000, client: '10.0.0.1' }));
    store.record(exchange({ ts: T0 + 3000, client: '10.0.0.1' }));
    await store.stop();
    store.start();
    store.record(exchange({ ts: T0 + 9000, client: '10.0.0.2' }));
    store.record(exchange({ ts: T0 + 9500, client: '10.0.0.2' }));
    store.record(exchange({ ts: T0 + 9700, client: '10.0.0.3' }));
    expect(store.clients()).toEqual([
      { address: '10.0.0.2', queries: 3, firstSeen: T0 + 1000, lastSeen: T0 + 9500 },
      { address: '10.0.0.1', queries: 2, firstSeen: T0 + 2000, lastSeen: T0 + 3000 },
      { address: '10.0.0.3', queries: 1, firstSeen: T0 + 9700, lastSeen: T0 + 9700 },
    ]);
  });

  it('counts queries per minute per client, non-empty minutes oldest first, over a range back from now', async () => {
    const store = await openStore();
    store.start();
    const M = 60_000;
    store.record(exchange({ ts: T0 + 5_000, client: 'a' }));
    store.record(exchange({ ts: T0 + 6_000, client: 'b' }));
    store.record(exchange({ ts: T0 + 59_999, client: 'a' }));
    store.record(exchange({ ts: T0 + 3 * M, client: 'a' }));
    store.record(exchange({ ts: T0 + 9 * M + 1, client: 'b' }));
    await store.stop();
    store.start();
    store.record(exchange({ ts: T0 + 9 * M + 2, client: 'b' }));
    store.record(exchange({ ts: T0 + 9 * M + 3, client: 'c' }));
    const all = [
      { minute: T0, counts: { a: 2, b: 1 } },
      { minute: T0 + 3 * M, counts: { a: 1 } },
      { minute: T0 + 9 * M, counts: { b: 2, c: 1 } },
    ];
    expect(store.minutes(0)).toEqual(all);
    now = T0 + 9 * M + 30_000;
    // The last 7 minutes: minute 3 through minute 9.
    expect(store.minutes(7)).toEqual(all.slice(1));
    expect(store.minutes(6)).toEqual(all.slice(2));
    expect(store.minutes(1)).toEqual(all.slice(2));
    now = T0 + 100 * M;
    expect(store.minutes(5)).toEqual([]);
  });

  it('reports qps over the last 10 whole seconds from the clock', async () => {
    const store = await openStore();
    store.start();
    // 3 queries a second for 15 seconds.
    for (let s = 0; s < 15; s++)
      for (let k = 0; k < 3; k++) store.record(exchange({ ts: T0 + s * 1000 + k * 100 }));
    now = T0 + 15_000;
    expect(store.qps()).toBe(3);
    now = T0 + 20_000;
    expect(store.qps()).toBe(1.5);
    now = T0 + 60_000;
    expect(store.qps()).toBe(0);
  });
});

describe('CaptureStore CSV', () => {
  async function csvText(store: CaptureStore, filter = {}): Promise<{ text: string; chunks: string[] }> {
    const chunks: string[] = [];
    for await (const c of store.csv(filter)) chunks.push(c);
    return { text: chunks.join(''), chunks };
  }

  it('exports filtered events oldest first with RFC 4180 quoting and formula neutralising', async () => {
    const store = await openStore();
    store.start();
    store.record(exchange({ ts: T0 + 1, qname: 'a.example', answers: '1.2.3.4, 5.6.7.8', latencyMs: 0.5 }));
    store.record(
      exchange({ ts: T0 + 2, qname: '=cmd|"x"', answers: '-2', upstream: '@up', client: '10.0.0.9' }),
    );
    store.record(
      exchange({ ts: T0 + 3, qname: 'line\r\nbreak', answers: '', rcode: 'NXDOMAIN', upstream: '' }),
    );
    const { text } = await csvText(store);
    const rows = parseCsv(text);
    expect(rows).toEqual([
      CSV_HEADER.split(','),
      [
        isoLocal(T0 + 1),
        '192.168.0.1',
        'a.example',
        'A',
        'NOERROR',
        '1.2.3.4, 5.6.7.8',
        '0.500',
        '1.1.1.1:53',
        '192.168.0.1',
        '',
        '',
        'false',
        '',
      ],
      [
        isoLocal(T0 + 2),
        '10.0.0.9',
        '\'=cmd|"x"',
        'A',
        'NOERROR',
        "'-2",
        '12.345',
        "'@up",
        '10.0.0.9',
        '',
        '',
        'false',
        '',
      ],
      [
        isoLocal(T0 + 3),
        '192.168.0.1',
        'line\r\nbreak',
        'A',
        'NXDOMAIN',
        '',
        '12.345',
        '',
        '192.168.0.1',
        '',
        '',
        'false',
        '',
      ],
    ]);
    const filtered = parseCsv((await csvText(store, { client: '10.0.0.9' })).text);
    expect(filtered).toHaveLength(2);
    expect(filtered[1]![1]).toBe('10.0.0.9');
    expect((await csvText(store, { client: 'nobody' })).text).toBe(`${CSV_HEADER}\r\n`);
  });

  it('fills the device columns from the lookup, once per client', async () => {
    const store = await openStore();
    store.start();
    store.record(exchange({ ts: T0 + 1 }));
    store.record(exchange({ ts: T0 + 2, client: '10.0.0.9' }));
    store.record(exchange({ ts: T0 + 3 }));
    const asked: string[] = [];
    let text = '';
    for await (const c of store.csv({}, (address) => {
      asked.push(address);
      return address === '192.168.0.1'
        ? { device: 'Router, hall', mac: 'f4:f2:6d:12:34:56', vendor: 'TP-LINK', isRouter: true }
        : { device: address, mac: '', vendor: '', isRouter: false };
    }))
      text += c;
    expect(parseCsv(text).map((row) => row.slice(8))).toEqual([
      ['device', 'mac', 'vendor', 'is_router', 'watch_rule'],
      ['Router, hall', 'f4:f2:6d:12:34:56', 'TP-LINK', 'true', ''],
      ['10.0.0.9', '', '', 'false', ''],
      ['Router, hall', 'f4:f2:6d:12:34:56', 'TP-LINK', 'true', ''],
    ]);
    expect(asked).toEqual(['192.168.0.1', '10.0.0.9']);
  });

  it('streams a large export in ~64 KiB chunks, oldest first', async () => {
    const store = await openStore();
    store.start();
    const n = 20_000;
    for (let i = 1; i <= n; i++) store.record(exchange({ ts: T0 + i, qname: `host${i % 500}.example` }));
    const started = performance.now();
    const { text, chunks } = await csvText(store);
    const ms = performance.now() - started;
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks.slice(0, -1)) expect(c.length).toBeLessThan(64 * 1024 + 512);
    const rows = parseCsv(text);
    expect(rows).toHaveLength(n + 1);
    expect(rows[1]![0]).toBe(isoLocal(T0 + 1));
    expect(rows[n]![0]).toBe(isoLocal(T0 + n));
    // Generous bound: 1,000,000 rows must take seconds, not minutes, even on a busy machine.
    expect(ms).toBeLessThan(5000);
  });
});

describe('CaptureStore under write errors', () => {
  it('keeps recording when the data folder cannot be created, and saves everything once it can', async () => {
    const blocker = join(harness.dir, 'blocker');
    await writeFile(blocker, 'a file where the data folder should be');
    const dataDir = join(blocker, 'data');
    const store = await openStore({ dataDir });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ENOTDIR');
    const { id } = store.start();
    expect(() => recordSome(store, 3)).not.toThrow();
    await store.flush();
    await store.flush();
    expect((await store.query({})).total).toBe(3);
    const journalWarnings = warnings.filter((w) => w.includes('journal.ndjson'));
    expect(journalWarnings).toHaveLength(1); // once per kind, however many flushes fail
    expect(journalWarnings[0]).toContain('a file is in the way where a folder is needed (ENOTDIR)');
    expect(warnings.filter((w) => w.includes('capture.json'))).toHaveLength(1);

    await rm(blocker);
    recordSome(store, 1);
    await store.flush();
    const lines = (await readFile(join(dataDir, 'captures', id, 'journal.ndjson'), 'utf8'))
      .trimEnd()
      .split('\n')
      .filter((l) => !isSeal(l));
    expect(lines.map((l) => (JSON.parse(l) as QueryEvent).seq)).toEqual([1, 2, 3, 4]);
    expect(JSON.parse(await readFile(join(dataDir, 'captures', id, 'capture.json'), 'utf8'))).toMatchObject({
      id,
      stoppedAt: 0,
    });
    await store.stop();
    await closeStore(store);
    const again = await openStore({ dataDir });
    expect(again.total()).toBe(4);
  });

  it('saves a capture stopped while the disk failed once writing works again', async () => {
    const blocker = join(harness.dir, 'blocker');
    await writeFile(blocker, '');
    const dataDir = join(blocker, 'data');
    const store = await openStore({ dataDir });
    const { id } = store.start();
    recordSome(store, 2);
    now += 1000;
    const stopped = await store.stop();
    expect(stopped).toMatchObject({ id, state: 'stopped', stoppedAt: now, queries: 2 });
    await rm(blocker);
    await store.flush();
    const captureDir = join(dataDir, 'captures', id);
    const lines = (await journalText(join(captureDir, 'journal.ndjson')))
      .trimEnd()
      .split('\n')
      .filter((l) => !isSeal(l));
    expect(lines.map((l) => (JSON.parse(l) as QueryEvent).seq)).toEqual([1, 2]);
    expect(JSON.parse(await readFile(join(captureDir, 'capture.json'), 'utf8'))).toEqual({
      id,
      startedAt: T0,
      stoppedAt: now,
    });
  });

  it('reports journal text it could never write when closed', async () => {
    const blocker = join(harness.dir, 'blocker');
    await writeFile(blocker, '');
    const store = await openStore({ dataDir: join(blocker, 'data') });
    store.start();
    recordSome(store, 2);
    await closeStore(store);
    expect(warnings.at(-1)).toMatch(/bytes of queries could not be written before closing and are lost$/);
  });

  it('does not hang or throw on a data folder under /proc', async (ctx) => {
    if (!existsSync('/proc/self')) {
      console.log('skipped: no /proc on this system');
      ctx.skip();
    }
    const store = await openStore({ dataDir: `/proc/dnsw-test-${process.pid}/data` });
    store.start();
    recordSome(store, 2);
    await store.flush();
    expect(store.total()).toBe(2);
    expect(warnings.some((w) => w.includes('journal.ndjson') && w.includes('ENOENT'))).toBe(true);
  });

  it('keeps lines through a full disk and writes them when space is back', async (ctx) => {
    if (!existsSync('/dev/full')) {
      console.log('skipped: /dev/full is not available to simulate a full disk');
      ctx.skip();
    }
    const store = await openStore();
    const { id } = store.start();
    const journal = capturePath(id, 'journal.ndjson');
    await symlink('/dev/full', journal);
    recordSome(store, 2);
    await store.flush();
    recordSome(store, 1);
    await store.flush();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('the disk is full (ENOSPC)');
    await rm(journal);
    await store.flush();
    expect((await journalLines(id)).map((l) => l.seq)).toEqual([1, 2, 3]);
  });

  it('never throws from record(), even for a malformed record', async () => {
    const store = await openStore();
    expect(() => store.record(exchange())).not.toThrow(); // nothing running: ignored
    expect(store.lastSeq()).toBe(0);
    store.start();
    const bad = { ...exchange(), queryWire: undefined } as unknown as Parameters<CaptureStore['record']>[0];
    expect(() => store.record(bad)).not.toThrow();
    expect(() => store.record(bad)).not.toThrow();
    expect(warnings.filter((w) => w.includes('could not record a query'))).toHaveLength(1);
    recordSome(store, 1);
    expect((await store.query({ limit: 1 })).events[0]!.seq).toBe(3);
  });

  it('starts writing before the flush period once about 1 MiB waits', async () => {
    const store = await openStore({ flushIntervalMs: 60_000 });
    const { id } = store.start();
    const answers = 'a'.repeat(500);
    for (let i = 0; i < 2500; i++) store.record(exchange({ ts: T0 + i, answers }));
    const path = capturePath(id, 'journal.ndjson');
    await until(() => existsSync(path) && (readFileSizeSync(path) ?? 0) > 1 << 20);
  });
});

describe('CaptureStore close', () => {
  it('ignores records after close and refuses to start', async () => {
    const store = await openStore();
    store.start();
    recordSome(store, 1);
    await closeStore(store);
    store.record(exchange({ ts: now }));
    expect(store.total()).toBe(1);
    expect(() => store.start()).toThrow(/closed/);
  });
});

function readFileSizeSync(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}

describe('an idle store', () => {
  it('sets no flush or batch timer while nothing happens, and one while something waits', async () => {
    const clock = new FakeClock();
    const store = await openStore({ retentionDays: 30, clock });
    {
      // Only the hourly retention pass.
      expect(clock.pending).toBe(1);
      store.start();
      const batches: number[] = [];
      store.subscribe((b) => batches.push(b.events.length));
      expect(clock.pending).toBe(1);
      store.record(exchange({ ts: clock.now() }));
      // One flush and one batch timer, however many queries arrive before they fire.
      for (let i = 0; i < 50; i++) store.record(exchange({ ts: clock.now() }));
      expect(clock.pending).toBe(3);
      clock.advance(250);
      await store.flush();
      expect(batches).toEqual([51]);
      // Written and delivered: nothing left to wake for.
      await new Promise((r) => setImmediate(r));
      expect(clock.pending).toBe(1);
      expect(store.total()).toBe(51);
      expect(store.storage()).toEqual({ error: '', lostRecords: 0 });
    }
  });
});
