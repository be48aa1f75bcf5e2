import { mkdir, mkdtemp, readdir, rm, utimes } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CaptureSource } from '@shared/events';
import { CaptureStore, type ExchangeRecord } from '../capture';
import { CaptureJournal, type JournalHost } from '../capture/capture-journal';
import { exchange } from '../capture/test-support';
import { verifyJournalFile } from '../export/journal-verify';
import { verifyJournal } from '../export/verify';
import { FakeClock } from '../fake-clock';
import { ImportWriter } from './writer';
import { NO_WIRE, type ImportRecord } from './types';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-01T12:00:00Z');

function rec(ts: number, qname = 'gw.safethings.avira.com'): ImportRecord {
  return {
    ts,
    client: '192.168.0.1',
    clientPort: 0,
    transport: 'udp',
    qname,
    qtype: 'A',
    rcode: 'NOERROR',
    answers: '192.0.2.7',
    latencyMs: 1.5,
    upstream: '',
    size: 0,
    error: '',
    watchRule: 'avira-safethings',
    queryWire: NO_WIRE,
    responseWire: null,
  };
}

function source(importedAt: number): CaptureSource {
  return {
    format: 'adguard',
    files: [{ name: 'querylog.json', bytes: 10, sha256: 'ab'.repeat(32) }],
    name: '',
    importedAt,
    app: 'DNS Witness test',
    cannotTell: ['No query messages.'],
    wire: false,
    skipped: 2,
    partial: false,
    devices: [],
    leases: [],
  };
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-import-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes an imported capture of `n` queries a second apart from `from`, as the CLI does. */
async function importInto(dataDir: string, from: number, n: number, importedAt = NOW): Promise<string> {
  const w = await ImportWriter.create(dataDir, importedAt);
  await w.add(Array.from({ length: n }, (_, i) => rec(from + i * 1000)));
  return w.commit(source(importedAt));
}

describe('imported captures', () => {
  it('are sealed journals without DNS messages, spanning their first to last query', async () => {
    const id = await importInto(dir, NOW - 10 * DAY, 5);
    expect(await readdir(path.join(dir, 'captures'))).toEqual([id]);
    const chain = await verifyJournalFile(path.join(dir, 'captures', id, 'journal.ndjson'));
    expect(chain).toMatchObject({
      state: 'chained',
      records: 5,
      sealed: 5,
      closed: true,
      firstSeq: 1,
      lastSeq: 5,
    });
    // verify vouches for the journal and says where it came from.
    const verified = await verifyJournal(path.join(dir, 'captures', id, 'journal.ndjson'));
    expect(verified.exitCode).toBe(0);
    expect(verified.lines).toEqual([
      expect.stringMatching(
        /^OK journal\.ndjson: intact and closed: .*; imported from querylog\.json \(SHA-256 (ab){32}\) by DNS Witness test, not observed by it$/,
      ),
    ]);
    const store = await CaptureStore.open({ dataDir: dir, retentionDays: 30, clock: new FakeClock(NOW) });
    try {
      expect(store.captures()).toEqual([
        {
          id,
          state: 'stopped',
          startedAt: NOW - 10 * DAY,
          stoppedAt: NOW - 10 * DAY + 4000,
          queries: 5,
          source: source(NOW),
        },
      ]);
    } finally {
      await store.close();
    }
  });

  it('a running store adopts one written meanwhile, numbered after its own queries', async () => {
    const store = await CaptureStore.open({ dataDir: dir, retentionDays: 30, clock: new FakeClock(NOW) });
    try {
      store.start();
      store.record(exchange({ ts: NOW }, 1));
      store.record(exchange({ ts: NOW + 1 }, 2));
      expect(await store.adopt()).toEqual([]);
      const id = await importInto(dir, NOW - 2 * DAY, 3);
      const adopted = await store.adopt();
      expect(adopted.map((c) => c.id)).toEqual([id]);
      // Older than the running capture: listed before it.
      expect(store.captures().map((c) => c.id)[0]).toBe(id);
      const page = await store.query({ captureId: id, limit: 10 });
      expect(page.events.map((e) => e.seq)).toEqual([5, 4, 3]);
      expect(store.lastSeq()).toBe(5);
      store.record(exchange({ ts: NOW + 2 }, 3));
      expect(store.lastSeq()).toBe(6);
      // A second look finds nothing new.
      expect(await store.adopt()).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it('takes its seqs after the records the DNS thread numbered but has not handed over yet', async () => {
    // The DNS thread's side, here: it numbers each record at once and hands records over in batches.
    const journal = new CaptureJournal({ onWarning: () => undefined });
    let store: CaptureStore | null = null;
    const inFlight: ExchangeRecord[] = [];
    const handOver = (): void => {
      for (const rec of inFlight.splice(0)) store!.record(rec);
    };
    const host: JournalHost = {
      startJournal: (spec) => journal.start(spec),
      // As the thread does: the batch goes first, then the reply.
      reserveSeqs: (count, above) => {
        handOver();
        return Promise.resolve(journal.reserve(count, above));
      },
      stopJournal: () => {
        handOver();
        return journal.stop();
      },
      flushJournal: () => journal.flush(),
      journalStorage: () => journal.storage(),
    };
    const answer = (rec: ExchangeRecord): void => {
      const num = journal.append(rec)!;
      inFlight.push({ ...rec, journaled: num });
    };
    store = await CaptureStore.open({ dataDir: dir, retentionDays: 30, clock: new FakeClock(NOW) });
    store.useJournalHost(host);
    try {
      store.start();
      answer(exchange({ ts: NOW }, 1));
      handOver();
      // Numbered 2 and 3 on the thread, still in its batch when the import is adopted.
      answer(exchange({ ts: NOW + 1 }, 2));
      answer(exchange({ ts: NOW + 2 }, 3));
      const id = await importInto(dir, NOW - 2 * DAY, 3);
      expect((await store.adopt()).map((c) => c.id)).toEqual([id]);
      answer(exchange({ ts: NOW + 3 }, 4));
      handOver();
      const imported = (await store.query({ captureId: id, limit: 10 })).events.map((e) => e.seq);
      const running = (await store.query({ captureId: store.captures()[1]!.id, limit: 10 })).events.map(
        (e) => e.seq,
      );
      expect(imported).toEqual([6, 5, 4]);
      expect(running).toEqual([7, 3, 2, 1]);
      expect(store.lastSeq()).toBe(7);
    } finally {
      await store.close();
    }
  });

  it('are kept for the retention period from their import, not from their queries', async () => {
    const kept = await importInto(dir, NOW - 400 * DAY, 3, NOW - DAY);
    const expired = await importInto(dir, NOW - 400 * DAY, 3, NOW - 31 * DAY);
    const store = await CaptureStore.open({ dataDir: dir, retentionDays: 30, clock: new FakeClock(NOW) });
    try {
      expect(store.captures().map((c) => c.id)).toEqual([kept]);
      expect(await readdir(path.join(dir, 'captures'))).not.toContain(expired);
    } finally {
      await store.close();
    }
  });

  it('removes what a killed import left a day ago, not what one is writing now', async () => {
    const killed = await ImportWriter.create(dir, NOW);
    await killed.add([rec(NOW)]);
    const [abandoned] = await readdir(path.join(dir, 'captures'));
    await utimes(path.join(dir, 'captures', abandoned!), new Date(NOW - 2 * DAY), new Date(NOW - 2 * DAY));
    const busy = path.join(dir, 'captures', '.import-busy');
    await mkdir(busy);
    await utimes(busy, new Date(NOW - 3_600_000), new Date(NOW - 3_600_000));
    const next = await ImportWriter.create(dir, NOW);
    const left = await readdir(path.join(dir, 'captures'));
    expect(left).toHaveLength(2);
    expect(left).toContain('.import-busy');
    expect(left).not.toContain(abandoned);
    await next.abort();
  });

  it('an aborted import leaves nothing behind', async () => {
    const w = await ImportWriter.create(dir, NOW);
    await w.add([rec(NOW)]);
    await w.abort();
    expect(await readdir(path.join(dir, 'captures'))).toEqual([]);
  });
});
