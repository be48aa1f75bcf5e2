/** The filters the whole dashboard shares, and how they map to engine requests. Pure. */
import type { QueryListRequest } from '@shared/api';
import type { QueryEvent, QueryFilter, QueryPage } from '@shared/events';
import type { TimeWindow } from './chart-series';

/** What the user filters by: one device (or all) and a case-insensitive name substring. */
export interface ViewFilter {
  readonly client: string | null;
  readonly name: string;
}

/** The name filter as the engine compares it: trimmed, lowercase, without a trailing dot. */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/**
 * The test `filter` puts an event to (the same rule the engine applies to query:list). The name is
 * normalized once here, not for each of the thousands of events the log and the counts go through per update.
 */
export function viewFilterMatcher(filter: ViewFilter): (event: QueryEvent) => boolean {
  const { client } = filter;
  const name = normalizeName(filter.name);
  return (e) => (client === null || e.client === client) && (name === '' || e.qname.includes(name));
}

/** The test an engine filter (client, name substring, time range, capture) puts an event to. */
export function queryFilterMatcher(filter: QueryFilter): (event: QueryEvent) => boolean {
  const { client, from, to, captureId } = filter;
  const name = filter.name === undefined ? undefined : normalizeName(filter.name);
  return (e) =>
    (client === undefined || e.client === client) &&
    (name === undefined || e.qname.includes(name)) &&
    (from === undefined || e.ts >= from) &&
    (to === undefined || e.ts < to) &&
    (captureId === undefined || e.captureId === captureId);
}

/**
 * The engine filter for `filter`, optionally limited to `window` (open-ended when the window is live);
 * empty parts are left out.
 */
export function toQueryFilter(filter: ViewFilter, window?: TimeWindow): QueryFilter {
  const name = normalizeName(filter.name);
  return {
    ...(filter.client !== null ? { client: filter.client } : {}),
    ...(name !== '' ? { name } : {}),
    ...(window ? { from: window.from } : {}),
    ...(window && !window.live ? { to: window.to } : {}),
  };
}

/** Where the next page of older log rows starts: strictly before the event (ts, seq). */
export interface OlderCursor {
  readonly ts: number;
  readonly seq: number;
  /** Rows to skip at `ts`, needed only when more than one page shares a millisecond. */
  readonly offset: number;
}

/** The query:list request for the page older than `cursor` (query:list answers newest first). */
export function olderPageRequest(cursor: OlderCursor, filter: ViewFilter, limit: number): QueryListRequest {
  return { ...toQueryFilter(filter), to: cursor.ts + 1, offset: cursor.offset, limit };
}

/**
 * Takes the rows of `page` strictly older than `cursor` and returns the cursor for the page after it;
 * `next` is null when the engine has nothing older.
 */
export function takeOlder(
  cursor: OlderCursor,
  page: QueryPage,
): { readonly rows: readonly QueryEvent[]; readonly next: OlderCursor | null } {
  if (page.events.length === 0) return { rows: [], next: null };
  // Seq orders events within one millisecond only: an imported capture's seqs follow its import, not its times.
  const rows = page.events.filter((e) => e.ts < cursor.ts || (e.ts === cursor.ts && e.seq < cursor.seq));
  const last = rows[rows.length - 1];
  if (!last) return { rows, next: { ...cursor, offset: cursor.offset + page.events.length } };
  const exhausted = page.offset + page.events.length >= page.total;
  return { rows, next: exhausted ? null : { ts: last.ts, seq: last.seq, offset: 0 } };
}
