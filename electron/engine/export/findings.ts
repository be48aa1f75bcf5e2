/**
 * What the evidence found, in sentences: report.html opens with them and summary.json carries them, so a
 * reader without DNS Witness gets the finding before the tables. Every figure comes from the watch report's
 * LookupRate (shared/watch/lookup-rate.ts), worded as the dashboard words it. Pure.
 */
import { isoLocal } from '@shared/time';
import {
  formatCount,
  formatPerHourValue,
  formatSpan,
  rateIsKnown,
  rateText,
  tooEarlyReason,
  type LookupRate,
} from '@shared/watch/lookup-rate';
import { markerOutcome } from '@shared/watch/rates';
import type { Marker, MarkerEffect, RuleReport, WatchReport } from '@shared/watch/report';
import { serviceName } from '@shared/watch/service-name';
import { REPORTED_PER_DAY } from '@shared/watch/router-models';

/** "2026-11-23 13:00:05": local time to the second; the report states the UTC offset once. */
export function readableTime(ms: number): string {
  return isoLocal(ms).slice(0, 19).replace('T', ' ');
}

/**
 * "*.safethings.avira.com": the rule's patterns as the device's lookups bear them out (a domain pattern
 * matches the domain and its subdomains; "*." when every name looked up was a subdomain), or the service's
 * name for a rule without patterns.
 */
export function lookedUpWhat(
  r: Pick<RuleReport, 'patterns' | 'vendor' | 'integration'>,
  names: readonly string[] = [],
): string {
  const patterns = (r.patterns ?? []).map((p) =>
    /^[=*]/.test(p) || p.includes('*') || names.length === 0 || !names.every((n) => n.endsWith(`.${p}`))
      ? p.replace(/^=/, '')
      : `*.${p}`,
  );
  if (patterns.length === 0) return serviceName(r);
  if (patterns.length <= 2) return patterns.join(' and ');
  return `${patterns.slice(0, 2).join(', ')} and ${patterns.length - 2} more patterns`;
}

/** "4,212 times between T1 and T2 (≈ 83,900 a day, one every 1.03 s)", or with why it is too early. */
export function countSentencePart(rate: LookupRate): string {
  if (rate.count === 1) return `once, at ${readableTime(rate.firstTs)}`;
  const when = `between ${readableTime(rate.firstTs)} and ${readableTime(rate.lastTs)}`;
  const figure = rateIsKnown(rate)
    ? rateText(rate)
    : `too early to tell a daily rate: ${tooEarlyReason(rate)}`;
  return `${formatCount(rate.count)} times ${when} (${figure})`;
}

/** "it went on at the same rate (3,600/h before, 3,540/h after)" and the like, for a marker's effect. */
export function outcomeText(e: MarkerEffect): string {
  const rates = `${formatPerHourValue(e.before.perHour)} before, ${formatPerHourValue(e.after.perHour)} after`;
  const pct = (c: number | null) => `${formatCount(Math.abs((c ?? 0) * 100))} %`;
  switch (markerOutcome(e)) {
    case 'waiting':
      return `it is too early to compare: about ${formatSpan(e.waitMs)} more of recording are needed`;
    case 'no-before':
      return `it looked up ${formatCount(e.after.count)} times (${formatPerHourValue(e.after.perHour)}); it had not before`;
    case 'same':
      return `it went on at the same rate (${rates})`;
    case 'fewer':
      return `it slowed down by ${pct(e.change)} (${rates})`;
    case 'more':
      return `it sped up by ${pct(e.change)} (${rates})`;
    case 'stopped':
      return `it stopped: no lookup in the ${formatSpan(e.after.windowMs)} after it (${rates})`;
  }
}

/** The sentences report.html opens with: per router and watched rule, what it asked and what each marker changed. */
export function findingSentences(report: WatchReport, routers: readonly string[]): string[] {
  const out: string[] = [];
  const markers = new Map<string, Marker>(report.markers.map((m) => [m.id, m]));
  let others = 0;
  for (const r of report.rules) {
    if (r.category === 'connectivity') continue;
    for (const d of r.devices) {
      if (!d.isRouter && !routers.includes(d.address)) {
        others += d.queries;
        continue;
      }
      const names = d.otherNames === 0 ? d.names.map((n) => n.name) : [];
      out.push(`Router ${d.address} looked up ${lookedUpWhat(r, names)} ${countSentencePart(d.rate)}.`);
      const effects = report.effects
        .filter((e) => e.rule === r.rule && e.address === d.address && markers.has(e.marker))
        .sort((a, b) => markers.get(a.marker)!.ts - markers.get(b.marker)!.ts);
      for (const e of effects) {
        const m = markers.get(e.marker)!;
        out.push(`After “${m.label}” at ${readableTime(m.ts)} ${outcomeText(e)}.`);
      }
    }
  }
  if (out.length === 0) out.push('No lookup of the router matched the watchlist.');
  if (others > 0)
    out.push(`Other devices looked up watched names ${formatCount(others)} times (see the tables below).`);
  return out;
}

/** Where a daily figure stands against the published 42,000–80,000 a day: "above", "within" or "below". */
export function reportedPosition(perDay: number): 'above' | 'within' | 'below' {
  return perDay > REPORTED_PER_DAY.high ? 'above' : perDay >= REPORTED_PER_DAY.low ? 'within' : 'below';
}
