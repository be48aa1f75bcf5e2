/** Counting query names for the "Top domains" panel. Pure. */
import type { QueryEvent, QueryFilter } from '@shared/events';
import { queryFilterMatcher } from './query-filter';
import type { Ring } from './ring';

export interface NameCount {
  readonly name: string;
  readonly count: number;
}

/**
 * The name a query is counted under: itself, or with `grouped` its parent as "*.parent" when it has at
 * least three labels ("x1.safethings.avira.com" → "*.safethings.avira.com"), so rotating subdomains add up.
 */
export function countedName(qname: string, grouped: boolean): string {
  if (!grouped) return qname;
  const dot = qname.indexOf('.');
  if (dot < 0) return qname;
  const parent = qname.slice(dot + 1);
  return parent.includes('.') ? `*.${parent}` : qname;
}

/** Adds each event's name to `into` (a new map when omitted) and returns it. */
export function countNames(
  events: Iterable<Pick<QueryEvent, 'qname'>>,
  into: Map<string, number> = new Map(),
): Map<string, number> {
  for (const e of events) into.set(e.qname, (into.get(e.qname) ?? 0) + 1);
  return into;
}

/** The `limit` most frequent names (ties by name), optionally grouped, with the number of distinct names. */
export function topNames(
  counts: ReadonlyMap<string, number>,
  grouped: boolean,
  limit: number,
): { readonly rows: readonly NameCount[]; readonly distinct: number } {
  const merged = new Map<string, number>();
  for (const [name, n] of counts) {
    const key = countedName(name, grouped);
    merged.set(key, (merged.get(key) ?? 0) + n);
  }
  const rows = [...merged.entries()]
    .map(([name, count]) => ({ name, count }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
    .slice(0, Math.max(0, limit));
  return { rows, distinct: merged.size };
}

/**
 * Names of the ring's events newer than `sinceSeq` that pass `filter`, to add to a count taken up to
 * `sinceSeq`. `gap` is true when the ring (full) may have dropped some of them: count again from scratch.
 */
export function liveNameCounts(
  ring: Ring<QueryEvent>,
  sinceSeq: number,
  filter: QueryFilter,
): {
  readonly counts: Map<string, number>;
  readonly added: number;
  readonly gap: boolean;
  /** The newest seq in the ring: what the counts cover up to. */
  readonly throughSeq: number;
} {
  const matches = queryFilterMatcher(filter);
  const fresh = ring.newestFirst((e) => e.seq > sinceSeq && matches(e));
  const oldest = ring.oldest();
  const gap = ring.size === ring.capacity && oldest !== undefined && oldest.seq > sinceSeq + 1;
  return { counts: countNames(fresh), added: fresh.length, gap, throughSeq: ring.newest()?.seq ?? sinceSeq };
}

/**
 * Whether live counts should be folded into the full count now: before the ring (capacity events) can
 * wrap past what was counted, which would force a recount from the service.
 */
export function shouldFoldLive(
  ringSize: number,
  ringCapacity: number,
  sinceSeq: number,
  throughSeq: number,
): boolean {
  // Events since the count that are still in the ring, filtered or not, fill it from here on.
  return throughSeq - sinceSeq >= Math.max(1, Math.floor(ringCapacity / 2)) && ringSize > 0;
}

/** `base` plus `extra`, as a new map. */
export function addCounts(
  base: ReadonlyMap<string, number>,
  extra: ReadonlyMap<string, number>,
): Map<string, number> {
  const out = new Map(base);
  for (const [name, n] of extra) out.set(name, (out.get(name) ?? 0) + n);
  return out;
}
