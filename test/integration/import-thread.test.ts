/**
 * runImport with its parse thread (the built import-worker, parse-thread.ts) against runImport parsing on
 * its own thread: the same journal record lines byte for byte (but for the capture id), the same counts,
 * devices, provenance and partial marking, for several files, damage part way, and every chunked format;
 * a cancel or a thread that cannot start leaves nothing behind.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { journalText } from '../../electron/engine/capture/test-support';
import { addressBytes, exchangeRecords, pcapHeader } from '../../electron/engine/export/pcap';
import { verifyJournal } from '../../electron/engine/export/verify';
import { runImport, type ImportOptions, type ImportResult } from '../../electron/engine/import/run';
import { adguardLine, beaconQueries } from '../../electron/engine/import/test-support';
import { ImportCancelled } from '../../electron/engine/import/types';

const ROOT = path.resolve(import.meta.dirname, '../..');
const WORKER = path.join(ROOT, 'out/main/import-worker.js');
const FIXTURES = path.join(ROOT, 'test/fixtures/import');
const START = Date.parse('2026-11-20T09:00:00Z');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-import-thread-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The capture's record lines without their capture id, in journal order. */
async function recordLines(dataDir: string, id: string): Promise<string[]> {
  return (await journalText(path.join(dataDir, 'captures', id, 'journal.ndjson')))
    .split('\n')
    .filter((l) => l.startsWith('{"seq"'))
    .map((l) => l.replace(`"captureId":"${id}",`, ''));
}

let runs = 0;

/** Imports with the parse thread and without it, each into a data folder of its own. */
async function both(
  opts: Omit<ImportOptions, 'dataDir' | 'parseWorker'>,
): Promise<{ threaded: ImportResult; inline: ImportResult; lines: [string[], string[]] }> {
  const n = ++runs;
  const threadedDir = path.join(dir, `threaded-${n}`);
  const inlineDir = path.join(dir, `inline-${n}`);
  const threaded = await runImport({ ...opts, dataDir: threadedDir, parseWorker: WORKER });
  const inline = await runImport({ ...opts, dataDir: inlineDir, parseWorker: false });
  const verified = await verifyJournal(
    path.join(threadedDir, 'captures', threaded.captureId, 'journal.ndjson'),
  );
  expect(verified.ok).toBe(true);
  return {
    threaded,
    inline,
    lines: [
      await recordLines(threadedDir, threaded.captureId),
      await recordLines(inlineDir, inline.captureId),
    ],
  };
}

/** What must not differ between the two runs. */
function expectSame(r: Awaited<ReturnType<typeof both>>): void {
  const { threaded, inline, lines } = r;
  expect(lines[0].length).toBe(threaded.queries);
  expect(lines[0]).toEqual(lines[1]);
  const outcome = (x: ImportResult) => ({
    queries: x.queries,
    skipped: x.skipped,
    first: x.first,
    last: x.last,
    files: x.source.files,
    partial: x.source.partial,
    devices: x.source.devices,
  });
  expect(outcome(threaded)).toEqual(outcome(inline));
}

function dnsmasqLines(n: number): string {
  let text = '';
  for (let i = 0; i < n; i++) {
    const d = new Date(START + i * 10);
    const stamp = `${d.toUTCString().slice(8, 11)} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
    const client = `192.168.0.${(i % 200) + 1}`;
    const who = `${i + 1} ${client}/${40_000 + (i % 20_000)}`;
    const name = i % 3 === 0 ? `n${i % 1000}.safethings.avira.com` : `site${i % 1000}.example.com`;
    text +=
      `${stamp} dnsmasq[812]: ${who} query[A] ${name} from ${client}\n` +
      `${stamp} dnsmasq[812]: ${who} forwarded ${name} to 1.1.1.1\n` +
      (i % 7 === 0
        ? `${stamp} dnsmasq[812]: ${who} reply ${name} is NXDOMAIN\n`
        : `${stamp} dnsmasq[812]: ${who} reply ${name} is 192.0.2.${i % 250}\n`);
  }
  return text;
}

/** A raw-IP pcap of `n` exchanges; the record of query `damaged` (if any) claims 2 GiB. */
function pcapBytes(n: number, damaged = -1): Buffer {
  const server = { address: addressBytes('192.168.0.2')!, port: 53 };
  const parts: Buffer[] = [pcapHeader()];
  for (const [i, q] of beaconQueries(START, n).entries()) {
    const question = { type: 'A' as const, name: q.qname };
    const recs = exchangeRecords({
      ts: q.ts,
      latencyMs: 2,
      transport: i % 11 === 0 ? 'tcp' : 'udp',
      client: { address: addressBytes(q.client)!, port: 40_000 + (i % 1000) },
      server,
      query: dnsPacket.encode({ type: 'query', id: i & 0xffff, questions: [question] }),
      response:
        i % 13 === 0
          ? null
          : dnsPacket.encode({
              type: 'response',
              id: i & 0xffff,
              questions: [question],
              answers: [{ type: 'A', name: q.qname, data: q.answer ?? '192.0.2.1' }],
            }),
    });
    if (i === damaged) recs[0]!.writeUInt32LE(0x7fffffff, 8);
    parts.push(...recs);
  }
  return Buffer.concat(parts);
}

describe('runImport with its parse thread', () => {
  it('writes the same records from an AdGuard Home log and its rotated part', async () => {
    const queries = beaconQueries(START, 40_000);
    const older = path.join(dir, 'querylog.json.1');
    const newer = path.join(dir, 'querylog.json');
    await writeFile(
      older,
      `${queries
        .slice(0, 25_000)
        .map((q, i) => adguardLine(q, i))
        .join('\n')}\n`,
    );
    // A blank line, and no newline at the end.
    await writeFile(
      newer,
      `\n${queries
        .slice(25_000)
        .map((q, i) => adguardLine(q, i))
        .join('\n')}`,
    );
    const r = await both({ files: [older, newer], format: 'auto' });
    expect(r.threaded.queries).toBe(40_000);
    expectSame(r);
  });

  it('keeps the same part of a damaged log, or refuses it alike', async () => {
    const lines = beaconQueries(START, 30_000).map((q) => adguardLine(q));
    lines.splice(20_000, 0, lines[0]!.slice(0, 40));
    const file = path.join(dir, 'damaged.json');
    await writeFile(file, `${lines.join('\n')}\n`);
    const r = await both({ files: [file], format: 'adguard', keepPartial: true });
    expect(r.threaded.source.partial).toMatchObject({ at: 'line 20001', queries: 20_000 });
    expectSame(r);
    const refused = await runImport({
      files: [file],
      format: 'adguard',
      dataDir: path.join(dir, 'refused'),
      parseWorker: WORKER,
    }).catch((e: unknown) => e);
    expect((refused as Error).message).toBe(
      'AdGuard Home query log damaged.json line 20001: not a JSON object',
    );
    expect(await readdir(path.join(dir, 'refused', 'captures'))).toEqual([]);
  });

  it('writes the same records from a dnsmasq log', async () => {
    const file = path.join(dir, 'dnsmasq.log');
    await writeFile(file, dnsmasqLines(30_000));
    const r = await both({ files: [file], format: 'auto', year: 2026 });
    expect(r.threaded.queries).toBe(30_000);
    expectSame(r);
  });

  it('writes the same records from a packet capture, damaged part way or not', async () => {
    const file = path.join(dir, 'mirror.pcap');
    await writeFile(file, pcapBytes(30_000));
    expectSame(await both({ files: [file], format: 'auto' }));
    const damaged = path.join(dir, 'damaged.pcap');
    await writeFile(damaged, pcapBytes(30_000, 21_000));
    const r = await both({ files: [damaged], format: 'auto', keepPartial: true });
    expect(r.threaded.source.partial).not.toBe(false);
    expectSame(r);
  });

  it('writes the same records, devices and skips from the recorded fixtures', async () => {
    for (const f of [
      'pcap/lo-ethernet.pcap',
      'pcap/any-linux-sll2.pcap',
      'pcap/lo-dumpcap.pcapng',
      'dnsmasq/log-queries.log',
      'zeek/dns.log',
      'zeek/dns.json',
      'adguard/querylog.json',
    ])
      expectSame(await both({ files: [path.join(FIXTURES, f)], format: 'auto', year: 2026, ports: [15454] }));
  });

  it('stops on a cancel and leaves nothing behind', async () => {
    const file = path.join(dir, 'cancel.json');
    await writeFile(
      file,
      `${beaconQueries(START, 60_000)
        .map((q) => adguardLine(q))
        .join('\n')}\n`,
    );
    const abort = new AbortController();
    const dataDir = path.join(dir, 'cancelled');
    const err = await runImport({
      files: [file],
      format: 'adguard',
      dataDir,
      parseWorker: WORKER,
      signal: abort.signal,
      onProgress: (p) => {
        if (p.rows > 0) abort.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportCancelled);
    expect(await readdir(path.join(dataDir, 'captures'))).toEqual([]);
  });

  it('fails in one line, leaving nothing behind, when the thread cannot start', async () => {
    const file = path.join(FIXTURES, 'adguard/querylog.json');
    const dataDir = path.join(dir, 'no-thread');
    const err = await runImport({
      files: [file],
      format: 'adguard',
      dataDir,
      parseWorker: path.join(dir, 'missing-worker.js'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain('missing-worker.js');
    expect(await readdir(path.join(dataDir, 'captures'))).toEqual([]);
  });
});
