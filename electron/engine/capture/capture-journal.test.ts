import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyJournalFile } from '../export/journal-verify';
import { clockAt } from '../fake-clock';
import { CaptureJournal, type JournalEnd, type JournalHost, type JournalSpec } from './capture-journal';
import { CaptureStore } from './capture-store';
import { exchange, journalText, tempDir } from './test-support';
import type { ExchangeRecord } from './types';

const T0 = Date.UTC(2026, 10, 23, 1, 45, 0);

let dir = '';
let cleanup: () => Promise<void> = async () => undefined;
let warnings: string[] = [];

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  warnings = [];
});

afterEach(async () => {
  await cleanup();
});

function spec(over: Partial<JournalSpec> = {}): JournalSpec {
  return {
    serial: 1,
    captureId: '20261123-014500-abcd',
    path: join(dir, 'journal.ndjson'),
    lastSeq: 0,
    maxUnwrittenBytes: 1 << 20,
    ...over,
  };
}

/**
 * The DNS thread's side of the journal, in this thread: a CaptureJournal that numbers each record and hands
 * it to the store numbered, as DnsThread does with the batches.
 */
class LocalHost implements JournalHost {
  journal = new CaptureJournal({ onWarning: (m) => warnings.push(m) });
  onLost: ((spec: JournalSpec) => void) | null = null;
  store: CaptureStore | null = null;

  startJournal(s: JournalSpec, onLost: (spec: JournalSpec) => void): void {
    this.journal.start(s);
    this.onLost = onLost;
  }

  reserveSeqs(count: number, above: number): Promise<number> {
    return Promise.resolve(this.journal.reserve(count, above));
  }

  stopJournal(): Promise<JournalEnd | null> {
    return this.journal.stop();
  }

  flushJournal(): Promise<void> {
    return this.journal.flush();
  }

  journalStorage() {
    return this.journal.storage();
  }

  /** A finished exchange on the "DNS thread": journaled, then recorded by the store. */
  record(rec: ExchangeRecord): void {
    const num = this.journal.append(rec);
    this.store!.record(num === undefined ? rec : { ...rec, journaled: num });
  }

  /** The writer died with the journal (as a DNS thread that crashed): a new one takes its place. */
  lose(): void {
    const s = this.journal.running;
    this.journal = new CaptureJournal({ onWarning: (m) => warnings.push(m) });
    if (s !== null) this.onLost?.(s);
  }
}

describe('the capture journal on the DNS thread', () => {
  it('numbers records above the seq it is given, journals and seals them, and closes the chain on stop', async () => {
    const j = new CaptureJournal({ onWarning: (m) => warnings.push(m) });
    j.start(spec({ lastSeq: 41, serial: 3 }));
    const nums = [1, 2, 3].map((i) => j.append(exchange({ ts: T0 + i }, i)));
    expect(nums.map((n) => n?.seq)).toEqual([42, 43, 44]);
    expect(nums.every((n) => n?.journal === 3 && n.time !== '')).toBe(true);
    await j.flush();
    const text = await readFile(spec().path, 'utf8');
    expect(text).toContain('"seq":44');
    expect(text).toContain('{"chain":1,"from":42,"to":44,');
    const end = await j.stop();
    expect(end).toEqual({ serial: 3, lastSeq: 44, dropped: 0, complete: true });
    // Stopped: nothing is numbered any more.
    expect(j.append(exchange())).toBeUndefined();
    const report = await verifyJournalFile(spec().path);
    expect(report.state).toBe('chained');
    expect(report.closed).toBe(true);
    expect(report.records).toBe(3);
    await j.close();
    expect(warnings).toEqual([]);
  });

  it('refuses a second journal while one is written', () => {
    const j = new CaptureJournal({ onWarning: () => undefined });
    j.start(spec());
    expect(() => j.start(spec({ serial: 2 }))).toThrow(/still being journaled/);
  });
});

describe('CaptureStore with its journal written by a host', () => {
  async function openWithHost(): Promise<{ store: CaptureStore; host: LocalHost }> {
    const host = new LocalHost();
    const store = await CaptureStore.open({
      dataDir: dir,
      retentionDays: 0,
      clock: clockAt(() => T0 + 10_000),
      onWarning: (m) => warnings.push(m),
    });
    store.useJournalHost(host);
    host.store = store;
    return { store, host };
  }

  it('indexes what the host numbered, and writes stoppedAt only once the journal is closed', async () => {
    const { store, host } = await openWithHost();
    const info = store.start();
    host.record(exchange({ qname: 'a.example', ts: T0 + 1 }, 1));
    host.record(exchange({ qname: 'b.example', ts: T0 + 2 }, 2));
    // Not numbered by the host: not recorded (it is not in the journal either).
    store.record(exchange({ qname: 'c.example' }, 3));
    expect((await store.query({})).events.map((e) => [e.seq, e.qname])).toEqual([
      [2, 'b.example'],
      [1, 'a.example'],
    ]);
    expect(store.lastSeq()).toBe(2);
    const stopped = await store.stop();
    expect(stopped?.stoppedAt).toBeGreaterThan(0);
    const meta = JSON.parse(await readFile(join(dir, 'captures', info.id, 'capture.json'), 'utf8')) as {
      stoppedAt: number;
    };
    expect(meta.stoppedAt).toBe(stopped?.stoppedAt);
    const journal = join(dir, 'captures', info.id, 'journal.ndjson');
    expect(await journalText(journal)).toContain('"qname":"b.example"');
    expect((await verifyJournalFile(journal)).closed).toBe(true);
    // The next capture continues the seqs.
    store.start();
    host.record(exchange({ qname: 'd.example' }, 4));
    expect((await store.query({ name: 'd.example' })).events[0]?.seq).toBe(3);
    await store.stop();
    await store.close();
  });

  it('goes on in a new capture when the host loses the journal, seqs above everything written', async () => {
    const { store, host } = await openWithHost();
    const first = store.start();
    host.record(exchange({ qname: 'before.example' }, 1));
    await host.flushJournal();
    // Journaled there but never handed over before the writer died.
    host.journal.append(exchange({ qname: 'unseen.example' }, 2));
    await host.flushJournal();
    host.lose();
    await expect.poll(() => store.current()?.id ?? first.id).not.toBe(first.id);
    const captures = store.captures();
    expect(captures).toHaveLength(2);
    expect(captures[0]!.stoppedAt).toBeGreaterThan(0);
    host.record(exchange({ qname: 'after.example' }, 3));
    expect((await store.query({ name: 'after.example' })).events[0]?.seq).toBe(3);
    expect(warnings.some((w) => w.includes('recording goes on in a new capture'))).toBe(true);
    await store.stop();
    await store.close();
  });
});
