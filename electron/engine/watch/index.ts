import { correlationSentence, shapeSentence, topDeviceText } from '@shared/watch/correlation-text';
import { rateText, type LookupRate } from '@shared/watch/lookup-rate';
import type { RuleCorrelation, WatchReport } from '@shared/watch/report';
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
    patterns: r.patterns ?? [],
    router_queries: r.routerQueries,
    ...rateFields(r.rate),
    devices: r.devices.map((d) => ({
      address: d.address,
      is_router: d.isRouter,
      ...rateFields(d.rate),
      every: d.every,
      names: d.names.map((n) => ({ name: n.name, ...rateFields(n.rate), every: n.every })),
      other_names: d.otherNames,
    })),
    correlation: correlationSummary(correlation.get(r.rule), serviceName(r), deviceName),
  }));
}

/**
 * A rate as the summary states it (shared/watch/lookup-rate.ts's figures, rounded, snake_case):
 * per_hour and projected_per_day are null while it is too early to tell; rate_text is the dashboard's words.
 */
export function rateFields(r: LookupRate) {
  return {
    queries: r.count,
    first_seen: r.firstTs ? isoLocal(r.firstTs) : '',
    last_seen: r.lastTs ? isoLocal(r.lastTs) : '',
    span_ms: Math.round(r.spanMs),
    capture_span_ms: Math.round(r.captureSpanMs),
    per_hour: r.perHour === null ? null : Math.round(r.perHour * 10) / 10,
    projected_per_day: r.perDay === null ? null : Math.round(r.perDay),
    mean_interval_ms: Math.round(r.meanIntervalMs),
    median_interval_ms: Math.round(r.medianIntervalMs),
    interval_spread_ms: Math.round(r.spreadMs),
    regularity: Math.round(r.regularity * 100) / 100,
    beacon: r.beacon,
    rate_text: rateText(r),
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
