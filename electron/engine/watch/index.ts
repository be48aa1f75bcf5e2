import { correlationSentence, shapeSentence, topDeviceText } from '@shared/watch/correlation-text';
import type { NameRateStats, RuleCorrelation, WatchReport } from '@shared/watch/report';
import { serviceName } from '@shared/watch/service-name';
import { isoLocal } from '@shared/time';

export { WatchService } from './watch-service';
export type { RuleInput, WatchServiceOptions } from './watch-service';
export { InsightsTracker } from './insights';

const round3 = (n: number) => Math.round(n * 1000) / 1000;

/**
 * `/api/summary`'s `watchlist` field: one row per rule seen, snake_case like the CSV, times in ISO 8601.
 * `correlation` is null for a rule the router did not ask; `deviceName` names devices in its sentences.
 */
export function watchlistSummary(report: WatchReport, deviceName: (address: string) => string = (a) => a) {
  const correlation = new Map((report.correlation ?? []).map((c) => [c.rule, c]));
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
      ...rateFields(d),
      names: d.names.map((n) => ({ name: n.name, ...rateFields(n) })),
      other_names: d.otherNames,
    })),
    correlation: correlationSummary(correlation.get(r.rule), serviceName(r), deviceName),
  }));
}

/** The rate of a device, or of one name it asked, as the summary states it (rounded, snake_case). */
function rateFields(r: Omit<NameRateStats, 'name'>) {
  return {
    queries: r.queries,
    per_hour: Math.round(r.perHour * 10) / 10,
    projected_per_day: Math.round(r.perDay),
    median_interval_ms: Math.round(r.medianIntervalMs),
    regularity: Math.round(r.regularity * 100) / 100,
    beacon: r.beacon,
    every: r.every,
  };
}

function correlationSummary(
  c: RuleCorrelation | undefined,
  service: string,
  deviceName: (address: string) => string,
) {
  if (!c) return null;
  return {
    window_s: c.windowMs / 1000,
    lookups: c.lookups,
    followed: c.followed,
    followed_share: round3(c.followedShare),
    chance_share: round3(c.chanceShare),
    chance_high: round3(c.chanceHigh),
    p_value: round3(c.pValue),
    new_domains: c.newDomains,
    verdict: c.verdict,
    via_router: c.viaRouter,
    routers: c.routers,
    sentence: correlationSentence(c, service),
    top_device: topDeviceText(c, deviceName),
    devices: c.devices.slice(0, 20).map((d) => ({
      address: d.address,
      name: deviceName(d.address),
      new_domains: d.newDomains,
      followed: d.followed,
      followed_share: round3(d.followedShare),
      attributed: d.attributed,
    })),
  };
}

/** `/api/summary`'s `lookup_shape`: the router's lookups per registrable domain, encoded-looking ones first. */
export function lookupShapeSummary(report: WatchReport) {
  return (report.lookupShape ?? []).map((d) => ({
    domain: d.domain,
    rule: d.rule,
    queries: d.queries,
    distinct_names: d.distinctNames,
    distinct_per_hour: Math.round(d.distinctPerHour),
    txt_share: round3(d.txtShare),
    other_type_share: round3(d.otherTypeShare),
    types: Object.fromEntries(Object.entries(d.types).map(([t, v]) => [t, round3(v)])),
    mean_label_length: Math.round(d.meanLabelLength * 10) / 10,
    mean_entropy: Math.round(d.meanEntropy * 100) / 100,
    encoded_share: round3(d.encodedShare),
    encoded: d.encoded,
    first_seen: isoLocal(d.firstSeen),
    last_seen: isoLocal(d.lastSeen),
    sentence: shapeSentence(d),
  }));
}
