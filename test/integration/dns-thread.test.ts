import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { exchange, journalText } from '../../electron/engine/capture/test-support';
import type { ExchangeRecord } from '../../electron/engine/capture/types';
import { verifyJournalFile } from '../../electron/engine/export/journal-verify';
import { DnsThread } from '../../electron/engine/dns/dns-thread';
import type { WarningCode } from '../../shared/events';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { dig, freePort, requireTool, waitFor } from '../helpers/tools';

// Built by the integration project's global setup (npx electron-vite build).
const WORKER = pathToFileURL(resolve(import.meta.dirname, '../../out/main/dns-worker.js'));

let upstream: Dnsmasq | null = null;
let thread: DnsThread | null = null;

afterEach(async () => {
  await thread?.close();
  thread = null;
  await upstream?.stop();
  upstream = null;
});

beforeAll(() => requireTool('dig', 'bind9-dnsutils'));

async function startThread(records: ExchangeRecord[], warnings: [WarningCode, string][] = []) {
  upstream = await startDnsmasq();
  const port = await freePort();
  thread = new DnsThread({
    config: {
      listen: [{ host: '127.0.0.1', port }],
      upstreams: [{ host: '127.0.0.1', port: upstream.port }],
      allow: [],
      timeoutMs: 2000,
      maxInFlight: 100,
      rules: [],
    },
    sink: { record: (rec) => records.push(rec) },
    onWarning: (code, message) => warnings.push([code, message]),
    workerUrl: WORKER,
  });
  const statuses = await thread.listen();
  expect(statuses.filter((s) => s.state === 'listening')).toHaveLength(2);
  return port;
}

/** dig run synchronously: this (main) thread's event loop cannot turn until dig is done. */
function digBlockingMainThread(port: number, name: string): string {
  const r = spawnSync('dig', ['@127.0.0.1', '-p', String(port), '+tries=1', '+time=3', '+short', name], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return r.stdout.trim();
}

describe('the DNS thread', () => {
  it('answers while the main thread is blocked, and hands the records over once it is free', async () => {
    const records: ExchangeRecord[] = [];
    const port = await startThread(records);
    // Three queries, each while this thread is blocked inside spawnSync: only the DNS thread can answer.
    for (let i = 0; i < 3; i++) expect(digBlockingMainThread(port, 'www.example.test')).toBe('192.0.2.10');
    await waitFor(() => (records.length >= 3 ? true : undefined), 5000, 'the records on the main thread');
    const rec = records[0]!;
    expect(rec.qname).toBe('www.example.test');
    expect(rec.client).toBe('127.0.0.1');
    expect(rec.rcode).toBe('NOERROR');
    expect(rec.answers).toBe('192.0.2.10');
    expect(rec.upstream).toBe(`127.0.0.1:${upstream!.port}`);
    expect(rec.queryWire.byteLength).toBeGreaterThan(12);
    expect(rec.responseWire!.byteLength).toBe(rec.size);
    expect(thread!.counters().answered).toBeGreaterThanOrEqual(3);
    expect(thread!.upstreamStatus()[0]!.healthy).toBe(true);
    expect(thread!.health()).toEqual({ restarts: 0, lastCrash: '', lastCrashAt: 0, dropped: 0 });
  });

  it('hands over the records still waiting for their batch before a journal flush resolves', async () => {
    const records: ExchangeRecord[] = [];
    const port = await startThread(records);
    const dir = await mkdtemp(join(tmpdir(), 'dnsw-thread-flush-'));
    try {
      const path = join(dir, 'journal.ndjson');
      thread!.startJournal(
        { serial: 1, captureId: '20261203-010000-abcd', path, lastSeq: 0, maxUnwrittenBytes: 1 << 20 },
        () => undefined,
      );
      // The second answer comes within the batch linger of the first: its record waits on the DNS thread.
      const names = ['one.example.test', 'two.example.test', 'three.example.test'];
      for (const name of names) await dig(port, name);
      await thread!.flushJournal();
      // What an export reads next (the store's rows, the journal) holds every query answered before it.
      expect(records.map((r) => r.qname)).toEqual(names);
      expect(await journalText(path)).toContain('"qname":"three.example.test"');
      await thread!.stopJournal();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('journals and seals while the main thread is blocked, and numbers observed records in order', async () => {
    const records: ExchangeRecord[] = [];
    const port = await startThread(records);
    const dir = await mkdtemp(join(tmpdir(), 'dnsw-thread-journal-'));
    try {
      const path = join(dir, 'journal.ndjson');
      thread!.startJournal(
        { serial: 5, captureId: '20261203-010000-abcd', path, lastSeq: 100, maxUnwrittenBytes: 1 << 20 },
        () => undefined,
      );
      // Each query and then the seal, while this thread is blocked: only the DNS thread can write them.
      for (let i = 0; i < 3; i++) expect(digBlockingMainThread(port, 'www.example.test')).toBe('192.0.2.10');
      const sealed = spawnSync(
        'sh',
        [
          '-c',
          `for i in $(seq 100); do grep -q '"to":103,' "$0" 2>/dev/null && exit 0; sleep 0.1; done; exit 1`,
          path,
        ],
        { timeout: 15_000 },
      );
      expect(sealed.status).toBe(0);
      await waitFor(() => (records.length >= 3 ? true : undefined), 5000, 'the records on the main thread');
      expect(records.map((r) => r.journaled?.seq)).toEqual([101, 102, 103]);
      expect(records.every((r) => r.journaled?.journal === 5)).toBe(true);
      // An exchange observed elsewhere goes through the thread's journal and comes back numbered.
      thread!.observed(exchange({ qname: 'observed.example.test', source: 'dnstap: test' }));
      await waitFor(() => (records.length >= 4 ? true : undefined), 5000, 'the observed record');
      expect(records[3]!.qname).toBe('observed.example.test');
      expect(records[3]!.journaled?.seq).toBe(104);
      const end = await thread!.stopJournal();
      expect(end).toEqual({ serial: 5, lastSeq: 104, dropped: 0, complete: true });
      const text = await journalText(path);
      expect(text).toContain('"seq":104,');
      expect(text).toContain('"src":"dnstap: test"');
      const report = await verifyJournalFile(path);
      expect(report.closed).toBe(true);
      expect(report.records).toBe(4);
      expect(thread!.journalStorage()).toEqual({ error: '', lostRecords: 0, unwrittenBytes: 0 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const how of ['throw', 'exit'] as const)
    it(`is started again after it dies (${how}), listens again and keeps its counters`, async () => {
      const records: ExchangeRecord[] = [];
      const warnings: [WarningCode, string][] = [];
      const port = await startThread(records, warnings);
      expect((await dig(port, 'www.example.test', 'A', ['+short'])).stdout.trim()).toBe('192.0.2.10');
      await waitFor(() => (thread!.counters().answered >= 1 ? true : undefined), 5000, 'the first count');
      await thread!.crash(how);
      await waitFor(() => (thread!.health().restarts === 1 ? true : undefined), 5000, 'the restart');
      expect(thread!.health().lastCrash).toMatch(how === 'throw' ? /crash requested/ : /exit code 70/);
      await thread!.running();
      const again = await waitFor(
        async () => {
          const r = await dig(port, 'www.example.test', 'A', ['+short', '+time=1']);
          return r.stdout.trim() === '192.0.2.10' ? r : undefined;
        },
        5000,
        'an answer from the new DNS thread',
      );
      expect(again.code).toBe(0);
      await waitFor(() => (records.length >= 2 ? true : undefined), 5000, 'the record of the answer');
      expect(thread!.counters().answered).toBeGreaterThanOrEqual(2);
      expect(warnings.some(([code, m]) => code === 'dns-thread' && m.includes('starting it again'))).toBe(
        true,
      );
    });
});
