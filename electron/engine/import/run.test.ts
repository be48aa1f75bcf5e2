import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import dnsPacket from 'dns-packet';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCaptureMeta } from '../capture/journal';
import { journalText } from '../capture/test-support';
import { addressBytes, exchangeRecords, pcapHeader } from '../export/pcap';
import { verifyJournal } from '../export/verify';
import { importedSentence } from '../export/summary';
import { runImport } from './run';
import { adguardLine, beaconQueries, type FixtureQuery } from './test-support';
import { ImportError } from './types';

const START = Date.parse('2026-11-20T09:00:00Z');

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-import-run-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * An AdGuard Home log of `good` queries, then a line cut in the middle (unless `damaged` is false), then
 * `after` more queries.
 */
async function damagedLog(good: number, after: number, damaged = true): Promise<string> {
  const lines = beaconQueries(START, good + after).map((q) => adguardLine(q));
  if (damaged) lines.splice(good, 0, lines[0]!.slice(0, 40));
  const file = path.join(dir, 'querylog.json');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/** The journal records of a capture: ts, client, qname. */
async function journalRecords(
  dataDir: string,
  id: string,
): Promise<{ seq: number; ts: number; client: string; qname: string }[]> {
  return (await journalText(path.join(dataDir, 'captures', id, 'journal.ndjson')))
    .split('\n')
    .filter((l) => l.startsWith('{"seq"'))
    .map((l) => JSON.parse(l) as { seq: number; ts: number; client: string; qname: string });
}

const brief = (q: FixtureQuery) => ({ ts: q.ts, client: q.client, qname: q.qname });

async function captures(dataDir: string): Promise<string[]> {
  return (await readdir(path.join(dataDir, 'captures')).catch(() => [] as string[])).filter(
    (n) => !n.startsWith('.'),
  );
}

describe('runImport on a file damaged part way', () => {
  it('rolls the import back by default: one ImportError naming the line, no capture', async () => {
    const file = await damagedLog(20_000, 10);
    const dataDir = path.join(dir, 'data');
    const err = await runImport({ files: [file], format: 'auto', dataDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportError);
    expect((err as ImportError).message).toMatch(/^AdGuard Home query log querylog\.json line 20001: /);
    expect(await captures(dataDir)).toEqual([]);
  });

  it('with keepPartial keeps what came before, marked partial everywhere it is shown', async () => {
    const file = await damagedLog(20_000, 10);
    const dataDir = path.join(dir, 'data');
    const result = await runImport({ files: [file], format: 'auto', dataDir, keepPartial: true });
    // Every line before the damage, which lies inside a batch of the reader (about 1 MiB of lines).
    expect(result.queries).toBe(20_000);
    expect(result.source.partial).toEqual({
      at: 'line 20001',
      file: 'querylog.json',
      reason: expect.any(String) as string,
      queries: 20_000,
      skipped: 0,
    });
    const records = await journalRecords(dataDir, result.captureId);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 20_000 }, (_, i) => i + 1));
    expect(records.map((r) => ({ ts: r.ts, client: r.client, qname: r.qname }))).toEqual(
      beaconQueries(START, 20_000).map(brief),
    );
    expect(await captures(dataDir)).toEqual([result.captureId]);
    const capDir = path.join(dataDir, 'captures', result.captureId);
    // capture.json keeps it, so the running app, the summary and the bundle read it back.
    const meta = await readCaptureMeta(path.join(capDir, 'capture.json'));
    expect(meta?.source?.partial).toEqual(result.source.partial);
    expect(importedSentence(result.captureId, meta!.source!)).toContain(
      'Only part of the file was imported: a partial import: querylog.json line 20001 is damaged',
    );
    const verified = await verifyJournal(path.join(capDir, 'journal.ndjson'));
    expect(verified.ok).toBe(true);
    expect(verified.lines.join('\n')).toMatch(
      /not observed by it; a partial import: querylog\.json line 20001 is damaged/,
    );
  });

  it('with keepPartial keeps the lines before damage in the first batch', async () => {
    const file = await damagedLog(7, 30);
    const dataDir = path.join(dir, 'data');
    const result = await runImport({ files: [file], format: 'adguard', dataDir, keepPartial: true });
    expect(result.source.partial).toMatchObject({ at: 'line 8', queries: 7, skipped: 0 });
    expect(result.queries).toBe(7);
    expect((await journalRecords(dataDir, result.captureId)).map((r) => r.qname)).toEqual(
      beaconQueries(START, 7).map((q) => q.qname),
    );
  });

  it('with keepPartial keeps every packet capture query before a damaged record mid-chunk', async () => {
    const server = { address: addressBytes('192.168.0.2')!, port: 53 };
    const client = { address: addressBytes('192.168.0.1')!, port: 40_001 };
    const parts: Buffer[] = [pcapHeader()];
    const asked = beaconQueries(START, 20_000);
    let damageAt = -1;
    for (const [i, q] of asked.entries()) {
      const question = { type: 'A' as const, name: q.qname };
      const recs = exchangeRecords({
        ts: q.ts,
        latencyMs: 2,
        transport: 'udp',
        client,
        server,
        query: dnsPacket.encode({ type: 'query', id: i & 0xffff, questions: [question] }),
        // The last query before the damage is answered after it: kept unanswered.
        response:
          i === 12_344
            ? null
            : dnsPacket.encode({ type: 'response', id: i & 0xffff, questions: [question], answers: [] }),
      });
      if (i === 12_345) {
        damageAt = parts.reduce((n, b) => n + b.length, 0);
        // The record's captured length: beyond any packet.
        recs[0]!.writeUInt32LE(0x7fffffff, 8);
      }
      parts.push(...recs);
    }
    const file = path.join(dir, 'mirror.pcap');
    const bytes = Buffer.concat(parts);
    await writeFile(file, bytes);
    // Inside the reader's second 1 MiB chunk, not at its start.
    expect(damageAt % (1 << 20)).toBeGreaterThan(1000);
    const dataDir = path.join(dir, 'data');
    const err = await runImport({ files: [file], format: 'auto', dataDir }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      `pcap file mirror.pcap offset ${damageAt}: a packet record of 2147483647 bytes (damaged)`,
    );
    const result = await runImport({ files: [file], format: 'auto', dataDir, keepPartial: true });
    expect(result.source.partial).toEqual({
      at: `byte offset ${damageAt}`,
      file: 'mirror.pcap',
      reason: 'a packet record of 2147483647 bytes (damaged)',
      queries: 12_345,
      skipped: 0,
    });
    expect(result.queries).toBe(12_345);
    const records = await journalRecords(dataDir, result.captureId);
    expect(records.map((r) => ({ ts: r.ts, client: r.client, qname: r.qname }))).toEqual(
      asked.slice(0, 12_345).map((q) => ({ ts: q.ts, client: '192.168.0.1', qname: q.qname })),
    );
    const verified = await verifyJournal(path.join(dataDir, 'captures', result.captureId, 'journal.ndjson'));
    expect(verified.ok).toBe(true);
  });

  it('with keepPartial still refuses a file that is bad from its first line', async () => {
    const file = await damagedLog(0, 10);
    const dataDir = path.join(dir, 'data');
    await expect(runImport({ files: [file], format: 'adguard', dataDir, keepPartial: true })).rejects.toThrow(
      /line 1: /,
    );
    expect(await captures(dataDir)).toEqual([]);
  });

  it('names the files as given, not as stored (an upload in a temporary file)', async () => {
    const file = await damagedLog(5, 0, false);
    const dataDir = path.join(dir, 'data');
    const result = await runImport({
      files: [file],
      format: 'adguard',
      dataDir,
      names: ['router-querylog.json'],
    });
    expect(result.source.files.map((f) => f.name)).toEqual(['router-querylog.json']);
    expect(result.source.partial).toBe(false);
  });
});
