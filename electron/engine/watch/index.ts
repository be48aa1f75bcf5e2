import type { WatchReport } from '@shared/watch/report';
import { isoLocal } from '@shared/time';

export { WatchService } from './watch-service';
export type { RuleInput, WatchServiceOptions } from './watch-service';

/** `/api/summary`'s `watchlist` field: one row per rule seen, snake_case like the CSV, times in ISO 8601. */
export function watchlistSummary(report: WatchReport) {
  return report.rules.map((r) => ({
    rule: r.rule,
    vendor: r.vendor,
    integration: r.integration,
    category: r.category,
    queries: r.queries,
    router_queries: r.routerQueries,
    per_hour: Math.round(r.perHour * 10) / 10,
    projected_per_day: Math.round(r.perDay),
    first_seen: r.firstSeen ? isoLocal(r.firstSeen) : '',
    last_seen: r.lastSeen ? isoLocal(r.lastSeen) : '',
    devices: r.devices.map((d) => ({
      address: d.address,
      is_router: d.isRouter,
      queries: d.queries,
      per_hour: Math.round(d.perHour * 10) / 10,
      projected_per_day: Math.round(d.perDay),
      median_interval_ms: Math.round(d.medianIntervalMs),
      regularity: Math.round(d.regularity * 100) / 100,
      beacon: d.beacon,
      every: d.every,
      names: d.names.map((n) => ({
        name: n.name,
        queries: n.queries,
        per_hour: Math.round(n.perHour * 10) / 10,
        projected_per_day: Math.round(n.perDay),
        median_interval_ms: Math.round(n.medianIntervalMs),
        regularity: Math.round(n.regularity * 100) / 100,
        beacon: n.beacon,
        every: n.every,
      })),
      other_names: d.otherNames,
    })),
  }));
}
