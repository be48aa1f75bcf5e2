/**
 * Watched queries per minute, per rule and client, for the charts: loaded from `watch:minutes`, then kept
 * current from the live events the capture store applies. Pure; the counts go to buildChart through the
 * same MinuteCounts interface as all queries.
 */
import type { QueryEvent } from '@shared/events';
import type { WatchMinutes } from '@shared/watch/messages';
import { minuteOf } from '@shared/time';
import type { MinuteCounts } from './dashboard-state';

/** Holds rule → client → count per minute. Counts only events with a seq above the loaded `lastSeq`. */
export class WatchBuckets {
  private readonly minutes = new Map<number, Map<string, Map<string, number>>>();
  private lastSeq = 0;
  private loadedOnce = false;
  private oldest: number | undefined;
  /** Bumped on every change, so charts redraw only then. */
  version = 0;

  get loaded(): boolean {
    return this.loadedOnce;
  }

  /**
   * Replaces the counts with `w`, then adds `recent` events above w.lastSeq (events the page applied while
   * the request was on its way).
   */
  apply(w: WatchMinutes, recent: readonly QueryEvent[]): void {
    this.minutes.clear();
    this.oldest = undefined;
    for (const bucket of w.minutes)
      for (const { rule, client, n } of bucket.counts) this.add(bucket.minute, rule, client, n);
    this.lastSeq = w.lastSeq;
    this.loadedOnce = true;
    this.fold(recent);
    this.version++;
  }

  /** Adds the watched events among `events` not counted yet; true when any was added. */
  fold(events: readonly QueryEvent[]): boolean {
    if (!this.loadedOnce) return false;
    let changed = false;
    for (const e of events) {
      if (e.seq <= this.lastSeq) continue;
      this.lastSeq = e.seq;
      if (e.watchRule === '') continue;
      this.add(minuteOf(e.ts), e.watchRule, e.client, 1);
      changed = true;
    }
    if (changed) this.version++;
    return changed;
  }

  /** Per-client counts summed over the rules `keep` accepts; a view, valid until the next change. */
  counts(keep: (rule: string) => boolean): MinuteCounts {
    const cache = new Map<number, ReadonlyMap<string, number> | undefined>();
    return {
      get: (minute) => {
        if (cache.has(minute)) return cache.get(minute);
        const byRule = this.minutes.get(minute);
        let sums: Map<string, number> | undefined;
        if (byRule)
          for (const [rule, byClient] of byRule) {
            if (!keep(rule)) continue;
            sums ??= new Map();
            for (const [client, n] of byClient) sums.set(client, (sums.get(client) ?? 0) + n);
          }
        cache.set(minute, sums);
        return sums;
      },
      firstMinute: () => this.oldest,
    };
  }

  private add(minute: number, rule: string, client: string, n: number): void {
    let byRule = this.minutes.get(minute);
    if (!byRule) {
      byRule = new Map();
      this.minutes.set(minute, byRule);
      if (this.oldest === undefined || minute < this.oldest) this.oldest = minute;
    }
    let byClient = byRule.get(rule);
    if (!byClient) {
      byClient = new Map();
      byRule.set(rule, byClient);
    }
    byClient.set(client, (byClient.get(client) ?? 0) + n);
  }
}
