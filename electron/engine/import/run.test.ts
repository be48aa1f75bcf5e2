import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCaptureMeta } from '../capture/journal';
import { verifyJournal } from '../export/verify';
import { importedSentence } from '../export/summary';
import { runImport } from './run';
import { adguardLine, beaconQueries } from './test-support';
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
 * `after` more queries. Readers hand over whole batches (about 1 MiB of the file), so damage must come a few
 * MiB in for a partial import to have something to keep.
 */
async function damagedLog(good: number, after: number, damaged = true): Promise<string> {
  const lines = beaconQueries(START, good + after).map((q) => adguardLine(q));
  if (damaged) lines.splice(good, 0, lines[0]!.slice(0, 40));
  const file = path.join(dir, 'querylog.json');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

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
    expect(result.queries).toBeGreaterThan(0);
    expect(result.queries).toBeLessThan(20_000);
    expect(result.source.partial).toEqual({
      at: 'line 20001',
      file: 'querylog.json',
      reason: expect.any(String) as string,
      queries: result.queries,
      skipped: 0,
    });
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
