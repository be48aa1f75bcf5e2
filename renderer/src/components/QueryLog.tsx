import { memo, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { QueryEvent } from '@shared/events';
import type { ActiveRule } from '@shared/watch/rules';
import type { Dashboard } from '../lib/dashboard';
import { formatClock, formatCount, formatLatency } from '../lib/format';
import {
  olderPageRequest,
  takeOlder,
  type OlderCursor,
  type ViewFilter,
  viewFilterMatcher,
} from '../lib/query-filter';
import { CATEGORY_TAGS, serviceName } from '../lib/watch-text';

interface Props {
  readonly dashboard: Dashboard;
  readonly filter: ViewFilter;
  /** Device label per client address (see deviceLabels); the address where missing. */
  readonly labels: ReadonlyMap<string, string>;
  /** Changes whenever the store's ring of recent events does. */
  readonly ringVersion: number;
  /** The watchlist rules by id, to name the rule a row matched. */
  readonly rules: ReadonlyMap<string, ActiveRule>;
  /** The router's addresses: its watchlist rows are the loudest. */
  readonly routers: ReadonlySet<string>;
  /** Show only rows that matched a watchlist rule. */
  readonly watchOnly: boolean;
  readonly onWatchOnly: (on: boolean) => void;
  /** The panel switcher shown in place of the title. */
  readonly tabs: ReactNode;
}

const isWatched = (e: QueryEvent): boolean => e.watchRule !== '';

const ROW_HEIGHT = 26;
const HEAD_HEIGHT = 28;
/** Rows a paused log holds at most, live ring plus older pages; the CSV export has everything. */
export const MAX_LOG_ROWS = 20_000;
const PAGE_SIZE = 500;

interface Frozen {
  readonly rows: readonly QueryEvent[];
  readonly cursor: OlderCursor | null;
  readonly error: string;
}

/**
 * Virtualized log, newest first. Live it shows the store's ring through the filter; paused (button, or by
 * scrolling down) it keeps its rows still and pages older ones from query:list as the end comes into view.
 */
export const QueryLog = memo(function QueryLog({
  dashboard,
  filter,
  labels,
  ringVersion,
  rules,
  routers,
  watchOnly,
  onWatchOnly,
  tabs,
}: Props) {
  const ring = dashboard.state.ring;
  const matches = useMemo(() => viewFilterMatcher(filter), [filter]);
  const liveRows = useMemo(
    () => ring.newestFirst((e) => matches(e) && (!watchOnly || isWatched(e))),
    // ringVersion stands for the ring's contents, which the store mutates in place.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [ring, matches, watchOnly, ringVersion],
  );
  const [frozen, setFrozen] = useState<Frozen | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const scrollRef = useRef<HTMLDivElement>(null);
  const rows = frozen ? frozen.rows : liveRows;
  const topSeq = frozen?.rows[0]?.seq ?? Infinity;
  const newWhilePaused = frozen ? liveRows.filter((e) => e.seq > topSeq).length : 0;
  const complete = frozen ? frozen.cursor === null : false;
  const capped = rows.length >= MAX_LOG_ROWS;

  const virtualizer = useVirtualizer({
    count: rows.length + 1,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (i) => rows[i]?.seq ?? 'footer',
    // The sticky column header sits above the rows inside the same scroll container.
    scrollMargin: HEAD_HEIGHT,
  });
  const items = virtualizer.getVirtualItems();
  const footerVisible = (items[items.length - 1]?.index ?? 0) >= rows.length;

  const pause = (): Frozen => {
    const oldest = ring.oldest();
    const next: Frozen = {
      rows: liveRows,
      // Older pages start below the ring's oldest event, matching or not: the ring holds everything after it.
      cursor: oldest ? { ts: oldest.ts, seq: oldest.seq, offset: 0 } : null,
      error: '',
    };
    setFrozen(next);
    return next;
  };
  const resume = (): void => {
    setFrozen(null);
    scrollRef.current?.scrollTo({ top: 0 });
  };

  const inFlight = useRef(false);
  const loadOlder = async (from: Frozen): Promise<void> => {
    if (inFlight.current || from.cursor === null || from.rows.length >= MAX_LOG_ROWS) return;
    inFlight.current = true;
    setLoadingOlder(true);
    try {
      const request = olderPageRequest(from.cursor, filter, PAGE_SIZE);
      // The engine filters by device, name and watchlist match, so every page is full of rows to show.
      const page = await dashboard.invoke('query:list', watchOnly ? { ...request, watched: true } : request);
      const { rows: older, next } = takeOlder(from.cursor, page);
      setFrozen((f) =>
        f && f.cursor === from.cursor ? { rows: [...f.rows, ...older], cursor: next, error: '' } : f,
      );
    } catch (err) {
      setFrozen((f) => (f ? { ...f, error: err instanceof Error ? err.message : String(err) } : f));
    } finally {
      inFlight.current = false;
      setLoadingOlder(false);
    }
  };

  // Paused with the end in view: fetch the next older page.
  useEffect(() => {
    if (frozen && footerVisible && frozen.cursor !== null && frozen.error === '') void loadOlder(frozen);
  });

  return (
    <section className="panel log" aria-label="Query log">
      <header className="panel-head">
        {tabs}
        <span className="muted num" data-testid="log-count">
          {formatCount(rows.length)}
          {frozen ? ' shown' : ' recent'}
        </span>
        <div className="spacer" />
        <label className="check" title="Only queries that matched a watchlist rule">
          <input
            type="checkbox"
            checked={watchOnly}
            onChange={(e) => onWatchOnly(e.target.checked)}
            data-testid="log-watch-only"
          />
          Watchlist only
        </label>
        {frozen ? (
          <button type="button" className="button small" onClick={resume} data-testid="log-resume">
            <span className="play-icon" aria-hidden="true" />
            Resume live
            {newWhilePaused > 0 && <span className="badge num">{formatCount(newWhilePaused)} new</span>}
          </button>
        ) : (
          <button type="button" className="button small" onClick={() => pause()} data-testid="log-pause">
            <span className="pause-icon" aria-hidden="true" />
            Pause
          </button>
        )}
      </header>
      <div
        className="log-table"
        role="table"
        aria-label="Queries, newest first"
        aria-rowcount={rows.length + 1}
      >
        <div
          className="log-scroll"
          ref={scrollRef}
          role="rowgroup"
          onScroll={(e) => {
            // Reading further down means the rows must stay put: stop the live tail.
            if (!frozen && e.currentTarget.scrollTop > ROW_HEIGHT) pause();
          }}
        >
          <div className="log-row log-head" role="row">
            <span role="columnheader">Time</span>
            <span role="columnheader">Device</span>
            <span role="columnheader">Name</span>
            <span role="columnheader">Type</span>
            <span role="columnheader">Result</span>
            <span role="columnheader" className="right">
              Latency
            </span>
          </div>
          <div className="log-canvas" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const e = rows[item.index];
              const rule = e && e.watchRule !== '' ? rules.get(e.watchRule) : undefined;
              return (
                <div
                  key={item.key}
                  className={
                    e ? `log-row${rcodeClass(e)}${watchClass(e, rule, routers)}` : 'log-row log-foot'
                  }
                  role="row"
                  data-testid={e ? 'log-row' : undefined}
                  data-watch={e?.watchRule || undefined}
                  data-blocked={e?.error === 'blocked' ? 'true' : undefined}
                  style={{ transform: `translateY(${item.start - HEAD_HEIGHT}px)` }}
                >
                  {e ? (
                    <LogCells e={e} device={labels.get(e.client) ?? e.client} rule={rule} />
                  ) : (
                    <span className="log-foot-text muted" role="cell">
                      {footerText({
                        frozen,
                        loadingOlder,
                        complete,
                        capped,
                        empty: rows.length === 0,
                        filter,
                        watchOnly,
                      })}
                      {!frozen && (
                        <button
                          type="button"
                          className="link"
                          onClick={() => {
                            void loadOlder(pause());
                          }}
                        >
                          Load older queries
                        </button>
                      )}
                    </span>
                  )}
                </div>
              );
            })}
          </div>
        </div>
      </div>
    </section>
  );
});

function rcodeClass(e: QueryEvent): string {
  if (e.error === 'blocked') return ' blocked';
  if (e.rcode === 'NOERROR' && e.error === '') return '';
  return e.rcode === 'NXDOMAIN' ? ' nx' : ' failed';
}

/** Watchlist rows stand out; the router's, outside connectivity checks, the most. */
function watchClass(e: QueryEvent, rule: ActiveRule | undefined, routers: ReadonlySet<string>): string {
  if (e.watchRule === '') return '';
  if (rule?.category === 'connectivity') return ' watch calm';
  return routers.has(e.client) ? ' watch router' : ' watch';
}

function LogCells({ e, device, rule }: { e: QueryEvent; device: string; rule: ActiveRule | undefined }) {
  return (
    <>
      <span role="cell" className="num" title={e.time}>
        {formatClock(e.ts)}
      </span>
      <span
        role="cell"
        className={device === e.client ? 'mono ellipsis' : 'ellipsis'}
        data-address={e.client}
        title={`${device.includes(e.client) ? '' : `${device}: `}${e.client} port ${e.clientPort} over ${e.transport.toUpperCase()}`}
      >
        {device}
      </span>
      <span role="cell" className="name-cell" title={e.answers ? `${e.qname} → ${e.answers}` : e.qname}>
        <span className="mono ellipsis">{e.qname}</span>
        {e.watchRule !== '' && (
          <span
            className="tag watch"
            title={
              rule
                ? `Watchlist: ${serviceName(rule)} (${CATEGORY_TAGS[rule.category]})`
                : `Watchlist rule ${e.watchRule}`
            }
          >
            {rule ? shortService(rule) : 'Watchlist'}
          </span>
        )}
      </span>
      <span role="cell">{e.qtype}</span>
      <span
        role="cell"
        className="result-cell"
        title={
          e.error === 'blocked'
            ? 'Blocked by your watchlist setting: answered by DNS Witness, not forwarded'
            : e.error
              ? `answered by DNS Witness: ${e.error}`
              : `from ${e.upstream || 'no upstream'}`
        }
      >
        {e.error === 'blocked' && <span className="tag blocked">Blocked</span>}
        {e.rcode}
        {e.error && e.error !== 'blocked' && <span className="muted"> · {e.error}</span>}
      </span>
      <span role="cell" className="num right">
        {formatLatency(e.latencyMs)}
      </span>
    </>
  );
}

/** The vendor for a row's tag ("Avira"), short enough for the name column. */
function shortService(rule: ActiveRule): string {
  return rule.vendor.split(/\s+\(/)[0] || serviceName(rule);
}

function footerText(s: {
  frozen: Frozen | null;
  loadingOlder: boolean;
  complete: boolean;
  capped: boolean;
  empty: boolean;
  filter: ViewFilter;
  watchOnly: boolean;
}): string {
  if (s.frozen?.error) return `Could not load older queries: ${s.frozen.error}`;
  if (s.loadingOlder) return 'Loading older queries…';
  if (s.capped) return `Showing the newest ${formatCount(MAX_LOG_ROWS)}; export CSV for the rest.`;
  if (s.frozen && s.complete) return s.empty ? 'No matching queries.' : 'Beginning of the recorded queries.';
  if (s.empty)
    return s.filter.client || s.filter.name || s.watchOnly ? 'No recent queries match. ' : 'No queries yet. ';
  return s.frozen ? '' : 'Live: newest queries at the top. ';
}
