/**
 * The watchlist in words: banner sentences, rates, marker effects and labels. Pure; the engine's report and
 * the device details come in, strings come out, so the wording is unit-tested.
 */
import { deviceLabel } from '@shared/devices';
import type { DeviceInfo } from '@shared/events';
import {
  formatApprox,
  formatCount,
  formatPerHourValue,
  formatSpan,
  meanIntervalText,
  perDayText,
  rateIsKnown,
  spanText,
  tooEarlyReason,
  type LookupRate,
} from '@shared/watch/lookup-rate';
import type { DeviceRuleStats, Marker, MarkerEffect, RuleReport, WatchReport } from '@shared/watch/report';
import type { BlockMode, Confidence, RuleCategory } from '@shared/watch/rules';
import { CATEGORY_LABELS } from '@shared/watch/rules';
import {
  describeFix,
  REPORTED_PER_DAY,
  TP_LINK_HOMESHIELD_FIXES,
  type RouterModelFix,
} from '@shared/watch/router-models';
import { serviceName } from '@shared/watch/service-name';

/** The press figure for TP-Link routers with the faulty HomeShield DNS logic (Techzine, Reddit; 2022). */
export const REPORTED_RANGE = REPORTED_PER_DAY;

export const CONFIDENCE_LABELS: Readonly<Record<Confidence, string>> = {
  observed: 'Seen in DNS logs',
  documented: 'Documented by the vendor',
  firmware: 'Named in firmware',
  press: 'Press reports',
  blocklist: 'From blocklists',
  'third-party': 'Third-party analysis',
  inferred: 'Inferred',
  guess: 'Unverified guess',
  user: 'Your rule',
};

/** What each blocking choice does, for the rule list. */
export const BLOCK_LABELS: Readonly<Record<BlockMode, string>> = {
  off: 'Not blocked',
  nxdomain: 'Block: NXDOMAIN',
  null: 'Block: 0.0.0.0 / ::',
};

export const BLOCK_WARNING =
  'Some routers retry harder when a name is blocked: TP-Link owners reported more requests and CPU spikes. Blocked queries stay in the log, marked; compare the rate before and after.';

/** Short category names for tags. */
export const CATEGORY_TAGS: Readonly<Record<RuleCategory, string>> = {
  'security-cloud': 'Security cloud',
  'vendor-cloud': 'Vendor cloud',
  connectivity: 'Connectivity check',
};

export { CATEGORY_LABELS };

export { serviceName };

/** Brand names the IEEE registry spells in capitals or with a company suffix. */
const BRANDS: readonly [RegExp, string][] = [
  [/^tp-?link/i, 'TP-Link'],
  [/^asustek|^asus/i, 'ASUS'],
  [/^netgear/i, 'NETGEAR'],
  [/^avm\b/i, 'AVM'],
  [/^ubiquiti/i, 'Ubiquiti'],
  [/^linksys|^belkin/i, 'Linksys'],
  [/^eero/i, 'eero'],
  [/^synology/i, 'Synology'],
  [/^huawei/i, 'Huawei'],
  [/^zyxel/i, 'Zyxel'],
  [/^d-link/i, 'D-Link'],
];

/** A brand from a registered vendor name: "TP-LINK TECHNOLOGIES CO.,LTD." → "TP-Link"; "" for "". */
export function shortVendor(vendor: string): string {
  const v = vendor.trim();
  if (v === '') return '';
  for (const [re, brand] of BRANDS) if (re.test(v)) return brand;
  return v.split(/[\s,]+/)[0] ?? v;
}

/** The router-model setting for "a router not in the TP-Link list". */
export const OTHER_ROUTER = 'other';

/** The TP-Link model entry for `model`, or undefined for another or no model. */
export function modelFix(model: string): RouterModelFix | undefined {
  return TP_LINK_HOMESHIELD_FIXES.find((m) => m.model === model);
}

/** What the fixed-firmware list says about `model`; "" when none was picked. */
export function modelFixText(model: string): string {
  if (model === '') return '';
  const fix = modelFix(model);
  if (fix) return describeFix(fix);
  if (model === OTHER_ROUTER)
    return 'TP-Link’s list of fixed firmware (March 2022) covers its HomeShield routers only; the rates and markers here work for any router.';
  return 'TP-Link’s list of fixed firmware (March 2022) does not name this model.';
}

/** What to call the router's make in a sentence: the picked TP-Link model, else the MAC vendor's brand. */
export function routerMake(device: DeviceInfo | undefined, routerModel: string): string {
  if (modelFix(routerModel)) return `TP-Link ${routerModel}`;
  if (routerModel !== '' && routerModel !== OTHER_ROUTER) return routerModel;
  return device ? shortVendor(device.vendor) : '';
}

// The rate's wording is shared with the report and summary.json (shared/watch/lookup-rate.ts).
export { formatApprox, formatSpan };

/** "3,600/h", "45/h", "0.5/h". */
export const formatPerHour = formatPerHourValue;

/** "once", "2 times", "1,234 times". */
export function times(n: number): string {
  return n === 1 ? 'once' : `${formatCount(n)} times`;
}

/** A change as a signed percentage: −0.95 → "−95 %", 0.12 → "+12 %". */
export function formatChange(change: number): string {
  const pct = Math.round(change * 100);
  if (pct === 0) return '±0 %';
  return `${pct < 0 ? '−' : '+'}${formatCount(Math.abs(pct))} %`;
}

/** What a daily rate reads while it is too early to tell. */
export const TOO_EARLY_DAILY = 'too early to tell a daily rate';

/** ", ≈ 88,800 a day", or ", too early to tell a daily rate". */
function dailyText(rate: LookupRate): string {
  return rateIsKnown(rate) ? `, ${perDayText(rate)}` : `, ${TOO_EARLY_DAILY}`;
}

/**
 * How a device's daily rate compares with the reported 42,000–80,000 a day, for the rule the figure is
 * about; "" for other rules. Until the rate is known, says so and why.
 */
export function reportedComparison(rule: string, rate: LookupRate): string {
  if (rule !== REPORTED_RANGE.rule) return '';
  const range = `${formatCount(REPORTED_RANGE.low)}–${formatCount(REPORTED_RANGE.high)}`;
  const reported = `the ${range} a day reported for affected TP-Link routers`;
  if (!rateIsKnown(rate)) return `Too early to compare with ${reported}: ${tooEarlyReason(rate)}.`;
  const where =
    rate.perDay > REPORTED_RANGE.high ? 'above' : rate.perDay >= REPORTED_RANGE.low ? 'within' : 'below';
  return `${perDayText(rate)} here (${meanIntervalText(rate)}): ${where} ${reported}.`;
}

export type FindingTone = 'alarm' | 'notice' | 'info';

/** One sentence for the banner, with what backs it. */
export interface Finding {
  readonly key: string;
  readonly tone: FindingTone;
  readonly rule: string;
  /** The rule's category, shown as a badge so a connectivity check does not read like telemetry. */
  readonly category: RuleCategory;
  readonly headline: string;
  /** The rule's one-line explanation. */
  readonly explanation: string;
  /** Category and confidence, e.g. "Security cloud lookups · Seen in DNS logs". */
  readonly meta: string;
  /** The comparison with the reported figure; "" where none applies. */
  readonly comparison: string;
  /** What the latest marker changed for this rule and device (see effectText); "" without one. */
  readonly effect: string;
  readonly queries: number;
}

/** The latest marker's effect on (rule, address), in words; "" when no marker has one. */
function latestEffect(report: WatchReport, rule: string, address: string): string {
  let best: { text: string; ts: number } | null = null;
  for (const e of report.effects) {
    if (e.rule !== rule || e.address !== address) continue;
    const m = report.markers.find((x) => x.id === e.marker);
    if (m && (!best || m.ts > best.ts)) best = { text: effectText(e, m), ts: m.ts };
  }
  return best ? best.text.charAt(0).toUpperCase() + best.text.slice(1) : '';
}

function meta(r: RuleReport): string {
  return `${CATEGORY_LABELS[r.category]} · ${CONFIDENCE_LABELS[r.confidence]}`;
}

/**
 * " — every 1.0 s ± 0.1 s" when the device's queries of the rule beat like a timer; else, when one name does
 * (other names in between blur the whole), " — name every …"; else "".
 */
export function beaconText(d: DeviceRuleStats): string {
  if (d.every) return ` — ${d.every}`;
  const name = d.names.find((n) => n.every !== '');
  return name ? ` — ${name.name} ${name.every}` : '';
}

/** True when the engine or the device details call `d` the router. */
function isRouter(d: DeviceRuleStats, devices: ReadonlyMap<string, DeviceInfo>): boolean {
  return d.isRouter || devices.get(d.address)?.isRouter === true;
}

/**
 * The router's watchlist traffic, one finding per (rule, router address), most queries first: "Your router
 * 192.168.0.1 (TP-Link) contacted Avira SafeThings 1,234 times in 20 min, ≈ 88,800 a day — every 1.0 s ±
 * 0.1 s". Connectivity checks come last, as information rather than alarm.
 */
export function routerFindings(
  report: WatchReport,
  devices: ReadonlyMap<string, DeviceInfo>,
  routerModel: string,
): Finding[] {
  const out: Finding[] = [];
  for (const r of report.rules) {
    for (const d of r.devices) {
      if (!isRouter(d, devices)) continue;
      const make = routerMake(devices.get(d.address), routerModel);
      const headline =
        `Your router ${d.address}${make ? ` (${make})` : ''} contacted ${serviceName(r)} ` +
        `${times(d.queries)} ${spanText(d.rate)}${dailyText(d.rate)}` +
        beaconText(d);
      out.push({
        key: `${r.rule} ${d.address}`,
        tone: r.category === 'connectivity' ? 'info' : 'alarm',
        rule: r.rule,
        category: r.category,
        headline,
        explanation: r.explanation,
        meta: meta(r),
        comparison: reportedComparison(r.rule, d.rate),
        effect: latestEffect(report, r.rule, d.address),
        queries: d.queries,
      });
    }
  }
  const rank = (f: Finding) => (f.tone === 'alarm' ? 0 : 1);
  return out.sort((a, b) => rank(a) - rank(b) || b.queries - a.queries);
}

/**
 * Watchlist traffic from devices other than the router, one quieter finding per rule; connectivity checks
 * (which every phone and PC makes) are left to the watchlist panel.
 */
export function clientFindings(report: WatchReport, devices: ReadonlyMap<string, DeviceInfo>): Finding[] {
  const out: Finding[] = [];
  for (const r of report.rules) {
    if (r.category === 'connectivity') continue;
    const clients = r.devices.filter((d) => !isRouter(d, devices));
    if (clients.length === 0) continue;
    const queries = clients.reduce((n, d) => n + d.queries, 0);
    const first = clients[0]!;
    const who =
      clients.length === 1
        ? describeDevice(first.address, devices)
        : `${formatCount(clients.length)} devices`;
    // One device: its own figures; several: their count over the recording (their rates are in the panel).
    const said =
      clients.length === 1
        ? `${spanText(first.rate)}${dailyText(first.rate)}`
        : `in ${formatSpan(report.windowMs)}`;
    out.push({
      key: `${r.rule} clients`,
      tone: 'notice',
      rule: r.rule,
      category: r.category,
      headline: `${who} contacted ${serviceName(r)} ${times(queries)} ${said}`,
      explanation: r.explanation,
      meta: meta(r),
      comparison: '',
      effect: '',
      queries,
    });
  }
  return out.sort((a, b) => b.queries - a.queries);
}

/** "Anna’s phone (192.168.0.23)", or the address alone when nothing else is known. */
export function describeDevice(address: string, devices: ReadonlyMap<string, DeviceInfo>): string {
  const d = devices.get(address);
  const label = d ? deviceLabel(d) : address;
  return label === address ? address : `${label} (${address})`;
}

/**
 * "after “HomeShield switched off”: −95 % (3,600/h → 180/h)"; without a rate before the marker, the rate
 * after it alone. Until the time after the marker could hold ten lookups at the rate before, no effect:
 * "waiting, about 2 min".
 */
export function effectText(effect: MarkerEffect, marker: Pick<Marker, 'label'>): string {
  const head = `after “${marker.label}”: `;
  if (effect.waitMs > 0) return `${head}waiting, about ${formatSpan(effect.waitMs)}`;
  const rates = `${formatPerHour(effect.before.perHour)} → ${formatPerHour(effect.after.perHour)}`;
  const body =
    effect.change === null
      ? `${formatPerHour(effect.after.perHour)} (none before)`
      : `${formatChange(effect.change)} (${rates})`;
  const short = effect.after.windowMs < 60_000 ? `, ${formatSpan(effect.after.windowMs)} after so far` : '';
  return `${head}${body}${short}`;
}

/** "regular" for a beacon, else a word for how scattered the queries are. */
export function regularityText(d: Pick<LookupRate, 'beacon' | 'regularity' | 'count'>): string {
  if (d.count < 3) return 'too few to say';
  if (d.beacon) return 'regular (timer)';
  if (d.regularity >= 0.5) return 'fairly regular';
  return 'irregular';
}

/**
 * An error for the user: the schema's "invalid arguments for watch:save-rule at patterns: " prefix removed
 * and the first letter capitalised.
 */
export function userError(err: unknown): string {
  const text = (err instanceof Error ? err.message : String(err)).replace(
    /^invalid arguments for [\w:-]+(?: at [\w.]+)?: /,
    '',
  );
  return text.charAt(0).toUpperCase() + text.slice(1);
}
