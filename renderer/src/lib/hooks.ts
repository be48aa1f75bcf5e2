/** Small React hooks over the dashboard; the logic they wrap lives in the pure modules next to them. */
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import type { QueryEvent, QueryFilter } from '@shared/events';
import type { DashboardView } from './dashboard-state';
import type { Dashboard } from './dashboard';
import { takeOlder, type OlderCursor } from './query-filter';
import { addCounts, countNames, liveNameCounts, shouldFoldLive } from './top-names';

/** The store view; re-renders at most once per animation frame. */
export function useDashboardView(dashboard: Dashboard): DashboardView {
  return useSyncExternalStore(dashboard.subscribe, dashboard.getView);
}

/** The current time, refreshed every `intervalMs`. */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(id);
  }, [intervalMs]);
  return now;
}

/** `value` once it has stayed the same for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const id = window.setTimeout(() => setSettled(value), ms);
    return () => window.clearTimeout(id);
  }, [value, ms]);
  return settled;
}

/** `value`, but changing at most once every `ms` (the latest value wins). */
export function useThrottled<T>(value: T, ms: number): T {
  const [shown, setShown] = useState({ value, at: 0 });
  useEffect(() => {
    if (Object.is(shown.value, value)) return;
    const wait = Math.max(0, shown.at + ms - Date.now());
    const id = window.setTimeout(() => setShown({ value, at: Date.now() }), wait);
    return () => window.clearTimeout(id);
  }, [value, ms, shown]);
  return shown.value;
}

/** Pages fetched for the top-domains count at most, newest first (the panel says when that is not all). */
export const TOP_NAMES_PAGES = 10;
const TOP_NAMES_PAGE_SIZE = 1000;

export interface NameCounts {
  /** Exact qname → queries among the newest `counted` matching queries. */
  readonly counts: ReadonlyMap<string, number>;
  readonly counted: number;
  /** All queries matching the filter (may exceed `counted`). */
  readonly total: number;
  readonly loading: boolean;
  readonly error: string;
}

interface FullCount extends NameCounts {
  readonly key: string;
  /** Highest event seq the count covers; live events above it are added from the store's ring. */
  readonly sinceSeq: number;
}

/**
 * Counts names over the newest matching queries: up to TOP_NAMES_PAGES pages from the engine when `filter`
 * changes, plus the matching live events from the store's ring whenever `ringVersion` changes.
 */
export function useNameCounts(dashboard: Dashboard, filter: QueryFilter, ringVersion: number): NameCounts {
  const key = JSON.stringify(filter);
  const [full, setFull] = useState<FullCount>({
    key: '',
    counts: new Map(),
    counted: 0,
    total: 0,
    sinceSeq: 0,
    loading: true,
    error: '',
  });
  const current = full.key === key && !full.loading;
  const live = useMemo(
    () => (current ? liveNameCounts(dashboard.state.ring, full.sinceSeq, filter) : null),
    // ringVersion stands for the ring's contents, which the store mutates in place.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [current, dashboard, full.sinceSeq, filter, ringVersion],
  );
  const gap = live?.gap ?? false;
  const ring = dashboard.state.ring;
  const fold =
    live !== null && !gap && shouldFoldLive(ring.size, ring.capacity, full.sinceSeq, live.throughSeq);

  // At high rates the ring wraps within seconds: fold the live counts in while they are all still in it,
  // so the full count from the service is taken once per filter, not again on every wrap.
  useEffect(() => {
    if (!fold || !live) return;
    setFull((s) =>
      s.key !== key || s.sinceSeq >= live.throughSeq
        ? s
        : {
            ...s,
            counts: addCounts(s.counts, live.counts),
            counted: s.counted + live.added,
            total: s.total + live.added,
            sinceSeq: live.throughSeq,
          },
    );
  }, [fold, live, key]);

  useEffect(() => {
    let cancelled = false;
    const parsed = JSON.parse(key) as QueryFilter;
    const seqAtStart = dashboard.getView().lastSeq;
    void (async () => {
      const counts = new Map<string, number>();
      let counted = 0;
      try {
        const first = await dashboard.invoke('query:list', { ...parsed, limit: TOP_NAMES_PAGE_SIZE });
        countNames(first.events, counts);
        counted += first.events.length;
        let cursor: OlderCursor | null = cursorAfter(first.events, first.total);
        for (let page = 1; page < TOP_NAMES_PAGES && cursor && !cancelled; page++) {
          // Paging by time, not offset, so queries arriving meanwhile do not shift the pages.
          const res = await dashboard.invoke('query:list', {
            ...parsed,
            to: Math.min(cursor.ts + 1, parsed.to ?? Infinity),
            offset: cursor.offset,
            limit: TOP_NAMES_PAGE_SIZE,
          });
          const { rows, next } = takeOlder(cursor, res);
          countNames(rows, counts);
          counted += rows.length;
          cursor = next;
        }
        // The newest event counted; with none, nothing matched up to the seq known when the count began.
        const sinceSeq = first.events[0]?.seq ?? seqAtStart;
        if (!cancelled)
          setFull({ key, counts, counted, total: first.total, sinceSeq, loading: false, error: '' });
      } catch (err) {
        if (!cancelled)
          setFull((s) => ({
            ...s,
            key,
            loading: false,
            error: err instanceof Error ? err.message : String(err),
          }));
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [dashboard, key, gap]);

  return useMemo(() => {
    const loading = full.loading || full.key !== key;
    if (!live || live.added === 0) return { ...full, loading };
    return {
      counts: addCounts(full.counts, live.counts),
      counted: full.counted + live.added,
      total: full.total + live.added,
      loading,
      error: full.error,
    };
  }, [full, live, key]);
}

function cursorAfter(events: readonly QueryEvent[], total: number): OlderCursor | null {
  const last = events[events.length - 1];
  return last && events.length < total ? { ts: last.ts, seq: last.seq, offset: 0 } : null;
}
