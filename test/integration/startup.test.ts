/**
 * DNS first: a service restarted on a long history answers DNS before it has read that history, says so on
 * /api/health while it reads, and records what it answers meanwhile without losing a query. The history is
 * written in the service's own journal format by the bench's writer (scripts/bench/history-journal.mjs).
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryStatus } from '@shared/events';
import { writeHistory, type WrittenHistory } from '../../scripts/bench/history-journal.mjs';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { dig, waitFor } from '../helpers/tools';

const ROOT = path.resolve(import.meta.dirname, '../..');
const HISTORY = 1_000_000;
/** Queries sent while the history is read. */
const DURING = 20;

interface Health {
  readonly ok: boolean;
  readonly history?: HistoryStatus;
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

let upstream: Dnsmasq;
let dataDir = '';
let history: WrittenHistory;

beforeAll(async () => {
  upstream = await startDnsmasq();
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-startup-'));
  history = await writeHistory({ root: ROOT, dataDir, queries: HISTORY });
}, 300_000);

afterAll(async () => {
  await upstream?.stop();
  if (dataDir) await removeDir(dataDir);
});

describe('start-up on a 1,000,000-query history', () => {
  it('answers DNS while /api/health says the history is loading, and records every query answered meanwhile', async () => {
    const started = Date.now();
    let served: Served | null = null;
    try {
      served = await startServe(upstream.port, { dataDir, waitHistory: false });
      const s = served;
      const first = await dig(s.dnsPort, 'www.example.test');
      const answeredAfterMs = Date.now() - started;
      expect(first.stdout).toContain('status: NOERROR');
      expect(first.stdout).toMatch(/www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.10/);
      // Asked after that answer came back: the history was still being read when DNS answered.
      const during = await getJson<Health>(`${s.base}/api/health`);
      expect(during.ok).toBe(true);
      expect(during.history).toMatchObject({ state: 'loading', capturesTotal: history.captures.length });
      expect(during.history!.progress).toBeLessThan(1);
      // A generous bound only: start-up figures belong to `npm run bench -- --history`.
      expect(answeredAfterMs).toBeLessThan(30_000);

      for (let i = 0; i < DURING; i++) {
        const r = await dig(s.dnsPort, `during${i}.wild.example.test`);
        expect(r.stdout).toContain('status: NOERROR');
      }
      const progress: number[] = [during.history!.progress];
      const loaded = await waitFor(
        async () => {
          const h = await getJson<Health>(`${s.base}/api/health`);
          if (h.history?.state === 'loading') progress.push(h.history.progress);
          return h.history?.state === 'loaded' ? h.history : undefined;
        },
        180_000,
        'the history to be read',
      );
      expect([...progress].sort((a, b) => a - b)).toEqual(progress);
      expect(loaded).toEqual({
        state: 'loaded',
        captures: history.captures.length,
        capturesTotal: history.captures.length,
        queries: HISTORY,
        progress: 1,
      });
      expect(s.output()).toMatch(/^history: 1,000,000 queries of 3 earlier captures read in [\d.]+ s$/m);

      // Nothing answered during the load is lost, and it follows the history's seqs.
      const summary = await getJson<{ total_queries: number; captures: { id: string; state: string }[] }>(
        `${s.base}/api/summary`,
      );
      expect(summary.total_queries).toBe(HISTORY + 1 + DURING);
      expect(summary.captures.map((c) => c.id).slice(0, -1)).toEqual(history.captures.map((c) => c.id));
      expect(summary.captures.at(-1)!.state).toBe('running');
      const page = await getJson<{ total: number; events: { seq: number; qname: string }[] }>(
        `${s.base}/api/queries?limit=${DURING + 1}`,
      );
      expect(page.total).toBe(HISTORY + 1 + DURING);
      expect(page.events.map((e) => [e.seq, e.qname]).reverse()).toEqual([
        [HISTORY + 1, 'www.example.test'],
        ...Array.from({ length: DURING }, (_, i) => [HISTORY + 2 + i, `during${i}.wild.example.test`]),
      ]);
    } finally {
      await served?.stop();
    }
  }, 300_000);
});
