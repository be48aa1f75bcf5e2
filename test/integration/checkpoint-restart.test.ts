/**
 * Captures that open at once: the first start on a generated history (scripts/bench/history-journal.mjs, no
 * checkpoints, as after an upgrade) reads the journals and writes a checkpoint beside each; a restart then
 * counts the whole history from them as soon as /api/health says it is loaded, the same counts as the
 * journal read gave, and reads an old capture's rows back from its journal when a page or an export reaches
 * them: the same pages and CSV as before the restart.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryStatus } from '@shared/events';
import { writeHistory, type WrittenHistory } from '../../scripts/bench/history-journal.mjs';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { waitFor } from '../helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** About 1.7 days at one query a second: two captures. */
const HISTORY = 150_000;

interface Summary {
  readonly total_queries: number;
  readonly captures: { id: string; state: string; queries: number }[];
  readonly clients: { address: string; queries: number }[];
  readonly clients_total: number;
  readonly watchlist: unknown;
}

/** GET as JSON; waits out the service's load shedding (503 with Retry-After), at most 30 times. */
const getJson = async <T>(url: string): Promise<T> => {
  let res = await fetch(url);
  for (let i = 0; i < 30 && res.status === 503; i++) {
    await res.body?.cancel();
    await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? 1) * 1000));
    res = await fetch(url);
  }
  expect(res.status, url).toBe(200);
  return (await res.json()) as T;
};

/** What a restart must give back: the stopped captures and every client's count. */
const counted = (s: Summary) => ({
  total: s.total_queries,
  captures: s.captures.filter((c) => c.state === 'stopped'),
  clients: s.clients,
  clientsTotal: s.clients_total,
});

/** GET as text (a CSV export). */
const getText = async (url: string): Promise<string> => {
  const res = await fetch(url);
  expect(res.status, url).toBe(200);
  return res.text();
};

/** Pages of the oldest capture (and of the whole history, filtered or not) and its CSV, as the API gives them. */
async function oldRows(base: string, oldest: string, middle: number) {
  const pages: { total: number; events: unknown[] }[] = [];
  for (const q of [
    `captureId=${oldest}&limit=100`,
    `captureId=${oldest}&limit=100&offset=${middle}`,
    `captureId=${oldest}&name=safethings&limit=50&offset=${Math.floor(middle / 10)}`,
    `limit=100&offset=${HISTORY - 100}`,
    `name=safethings&limit=20&offset=25000`,
  ])
    pages.push(await getJson(`${base}/api/queries?${q}`));
  return { pages, csv: await getText(`${base}/api/export.csv?captureId=${oldest}`) };
}

/** `v` without its `capture_span_ms` fields (the time recorded so far, the running capture's included). */
const withoutSpan = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v), (key, value: unknown) => (key === 'capture_span_ms' ? undefined : value));

let upstream: Dnsmasq;
let dataDir = '';
let history: WrittenHistory;

beforeAll(async () => {
  upstream = await startDnsmasq();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-checkpoint-'));
  history = await writeHistory({ root: ROOT, dataDir, queries: HISTORY, rate: 1 });
}, 300_000);

afterAll(async () => {
  await upstream?.stop();
  if (dataDir) await removeDir(dataDir);
});

describe('a restart on a history with checkpoints', () => {
  it('counts the whole history from the checkpoints once /api/health says loaded, as the journals did', async () => {
    let served: Served | null = null;
    try {
      // First start: no checkpoints yet, the journals are read (and a checkpoint written for each).
      served = await startServe(upstream.port, { dataDir });
      const first = await getJson<Summary>(`${served.base}/api/summary`);
      expect(first.total_queries).toBe(HISTORY);
      expect(first.captures.filter((c) => c.state === 'stopped').map((c) => c.id)).toEqual(
        history.captures.map((c) => c.id),
      );
      const oldest = history.captures[0]!.id;
      const middle = Math.floor(history.captures[0]!.lastSeq / 2);
      const before = await oldRows(served.base, oldest, middle);
      expect(before.pages.map((p) => p.events.length)).toEqual([100, 100, 50, 100, 20]);
      expect(await served.stop()).toBe(0);
      served = null;
      const ids = await readdir(path.join(dataDir, 'captures'));
      // The written history's captures and the one the first start ran.
      expect(ids).toHaveLength(history.captures.length + 1);
      for (const id of ids)
        expect(existsSync(path.join(dataDir, 'captures', id, 'checkpoint.bin'))).toBe(true);

      served = await startServe(upstream.port, { dataDir, waitHistory: false });
      const s = served;
      const loaded = await waitFor(
        async () => {
          const h = (await getJson<{ history?: HistoryStatus }>(`${s.base}/api/health`)).history;
          return h?.state === 'loaded' ? h : undefined;
        },
        60_000,
        'the history to be counted',
      );
      expect(loaded).toMatchObject({ captures: ids.length, capturesTotal: ids.length, queries: HISTORY });
      const second = await getJson<Summary>(`${s.base}/api/summary`);
      const { captures: firstCaptures, ...firstRest } = counted(first);
      // The first start's own capture (empty, stopped when it exited) is among them now.
      expect(counted(second)).toEqual({
        ...firstRest,
        captures: [...firstCaptures, expect.objectContaining({ state: 'stopped', queries: 0 })],
      });
      // The watched queries are the same; only the span of recording grew by the restart.
      expect(withoutSpan(second.watchlist)).toEqual(withoutSpan(first.watchlist));
      // The rows are read back from the journals as pages and exports reach them: the same as before.
      const page = await getJson<{ total: number }>(`${s.base}/api/queries?limit=1`);
      expect(page.total).toBe(HISTORY);
      expect(await oldRows(s.base, oldest, middle)).toEqual(before);
      expect(s.output()).not.toMatch(/its checkpoint|its journal/);
      console.log(
        `checkpoint restart: ${HISTORY} queries counted from the checkpoints (history progress ${(loaded.progress * 100).toFixed(1)} %); an old capture's pages and CSV read back the same`,
      );
    } finally {
      await served?.stop();
    }
  }, 300_000);
});
