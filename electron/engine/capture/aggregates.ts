import type { ClientSummary, MinuteBucket } from '@shared/events';
import { minuteOf } from '@shared/time';

/** Per-client query counts and first/last arrival, keyed by the client's interned id. */
export class ClientTotals {
  private readonly queries: number[] = [];
  private readonly first: number[] = [];
  private readonly last: number[] = [];

  add(clientId: number, ts: number): void {
    const n = this.queries[clientId];
    if (n === undefined) {
      // Ids are handed out densely, so this only ever appends.
      this.queries[clientId] = 1;
      this.first[clientId] = ts;
      this.last[clientId] = ts;
      return;
    }
    this.queries[clientId] = n + 1;
    if (ts < this.first[clientId]!) this.first[clientId] = ts;
    if (ts > this.last[clientId]!) this.last[clientId] = ts;
  }

  /** Calls `visit` with each client id's totals, in id order. */
  forEach(visit: (clientId: number, queries: number, first: number, last: number) => void): void {
    for (let id = 0; id < this.queries.length; id++) {
      const n = this.queries[id];
      if (n !== undefined) visit(id, n, this.first[id]!, this.last[id]!);
    }
  }

  /** Queries of a client id (0 for one without any). */
  queriesOf(clientId: number): number {
    return this.queries[clientId] ?? 0;
  }

  /** Sets a client id's totals as a checkpoint saved them (checkpoint.ts). */
  restore(clientId: number, queries: number, first: number, last: number): void {
    this.queries[clientId] = queries;
    this.first[clientId] = first;
    this.last[clientId] = last;
  }

  /** Adds these totals into `into`, keyed by address; `address(id)` names each client id. */
  mergeInto(into: Map<string, ClientSummary>, address: (id: number) => string): void {
    for (let id = 0; id < this.queries.length; id++) {
      const queries = this.queries[id];
      if (queries === undefined) continue;
      const key = address(id);
      const firstSeen = this.first[id]!;
      const lastSeen = this.last[id]!;
      const prev = into.get(key);
      into.set(
        key,
        prev
          ? {
              address: key,
              queries: prev.queries + queries,
              firstSeen: Math.min(prev.firstSeen, firstSeen),
              lastSeen: Math.max(prev.lastSeen, lastSeen),
            }
          : { address: key, queries, firstSeen, lastSeen },
      );
    }
  }
}

/** Queries per client per minute, keyed by minute start and the client's interned id. */
export class MinuteCounts {
  private readonly minutes = new Map<number, number[]>();
  // Events arrive in time order, so the last minute touched is nearly always the next one.
  private lastMinute = Number.NaN;
  private lastCounts: number[] = [];

  add(clientId: number, ts: number): void {
    const minute = minuteOf(ts);
    let counts: number[] | undefined;
    if (minute === this.lastMinute) counts = this.lastCounts;
    else {
      counts = this.minutes.get(minute);
      if (counts === undefined) {
        counts = [];
        this.minutes.set(minute, counts);
      }
      this.lastMinute = minute;
      this.lastCounts = counts;
    }
    counts[clientId] = (counts[clientId] ?? 0) + 1;
  }

  /** Calls `visit` with each minute and its counts (indexed by client id; holes for none), oldest first. */
  forEach(visit: (minute: number, counts: readonly (number | undefined)[]) => void): void {
    for (const minute of [...this.minutes.keys()].sort((a, b) => a - b))
      visit(minute, this.minutes.get(minute)!);
  }

  /** Adds a minute's counts as a checkpoint saved them: `counts[i]` queries of client id `clients[i]`. */
  restore(minute: number, clients: readonly number[], counts: readonly number[]): void {
    let bucket = this.minutes.get(minute);
    if (bucket === undefined) {
      bucket = [];
      this.minutes.set(minute, bucket);
    }
    for (let i = 0; i < clients.length; i++) bucket[clients[i]!] = (bucket[clients[i]!] ?? 0) + counts[i]!;
  }

  /** Adds the minutes at or after `from` into `into`, keyed by minute then address. */
  mergeInto(into: Map<number, Record<string, number>>, from: number, address: (id: number) => string): void {
    for (const [minute, counts] of this.minutes) {
      if (minute < from) continue;
      let bucket = into.get(minute);
      if (bucket === undefined) {
        bucket = {};
        into.set(minute, bucket);
      }
      for (let id = 0; id < counts.length; id++) {
        const n = counts[id];
        if (n === undefined || n === 0) continue;
        const key = address(id);
        bucket[key] = (bucket[key] ?? 0) + n;
      }
    }
  }
}

/** The clients an answer lists and what it leaves out. */
export interface ClientPick {
  readonly listed: ClientSummary[];
  readonly otherClients: number;
  readonly otherQueries: number;
}

/**
 * The first `limit` of `clients` (most queries first) plus any of `always` (the routers) further down, so an
 * answer stays the same size however many clients there are; the rest is counted.
 */
export function pickClients(
  clients: readonly ClientSummary[],
  limit: number,
  always: ReadonlySet<string>,
): ClientPick {
  const listed = clients.slice(0, limit);
  let otherClients = 0;
  let otherQueries = 0;
  for (let i = limit; i < clients.length; i++) {
    const c = clients[i]!;
    if (always.has(c.address)) listed.push(c);
    else {
      otherClients++;
      otherQueries += c.queries;
    }
  }
  return { listed, otherClients, otherQueries };
}

/** Turns merged minute maps into the sorted bucket list the UI gets. */
export function toMinuteBuckets(merged: Map<number, Record<string, number>>): MinuteBucket[] {
  return [...merged.keys()].sort((a, b) => a - b).map((minute) => ({ minute, counts: merged.get(minute)! }));
}

const RING = 64;

/** Counts per whole second over the last minute, for a queries-per-second figure; time is an input. */
export class RateCounter {
  private readonly stamps = new Float64Array(RING).fill(-1);
  private readonly counts = new Uint32Array(RING);

  add(ts: number): void {
    const second = Math.floor(ts / 1000);
    if (!(second >= 0)) return;
    const slot = second % RING;
    const stamp = this.stamps[slot]!;
    if (stamp === second) this.counts[slot] = this.counts[slot]! + 1;
    else if (stamp < second) {
      this.stamps[slot] = second;
      this.counts[slot] = 1;
    }
    // Older than the slot's current second: too old to matter for any window we report.
  }

  /**
   * Average per second over the `windowSeconds` whole seconds before the one containing `now`; the
   * current second is left out because it is still filling.
   */
  rate(now: number, windowSeconds = 10): number {
    const current = Math.floor(now / 1000);
    const span = Math.min(Math.max(1, Math.floor(windowSeconds)), RING - 1);
    let sum = 0;
    for (let s = current - span; s < current; s++) {
      const slot = ((s % RING) + RING) % RING;
      if (this.stamps[slot] === s) sum += this.counts[slot]!;
    }
    return sum / span;
  }
}
