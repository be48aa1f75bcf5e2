/**
 * The correlation, lookup-shape and visibility findings in words and as plain data: the sentences the
 * dashboard shows, and `insightsEvidence` for the evidence report. Pure; the engine's report comes in.
 */
import type { CorrelationVerdict } from './correlation';
import type { DomainShape } from './lookup-shape';
import type { RouterDomainShape, RuleCorrelation, WatchReport } from './report';
import { CATEGORY_LABELS, CATEGORY_NOTES, type RuleCategory } from './rules';
import { serviceName } from './service-name';
import type { VisibilityCheck } from './visibility';

const count = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const one = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** 0.843 → "84 %"; shares below 1 % but above 0 read "< 1 %". */
export function percent(share: number): string {
  if (!Number.isFinite(share)) return '–';
  if (share > 0 && share < 0.005) return '< 1 %';
  return `${Math.round(share * 100)} %`;
}

/** 3000 → "3 s", 1500 → "1.5 s". */
export function windowText(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? count.format(s) : one.format(s)} s`;
}

/**
 * "84 % of your router's Avira SafeThings lookups came within 3 s of a device looking up a new site (by
 * chance: 9 %)"; "" without router lookups.
 */
export function correlationSentence(c: RuleCorrelation, service: string): string {
  if (c.lookups === 0) return '';
  const lookups = `your router’s ${service} lookups`;
  if (c.newDomains === 0)
    return c.viaRouter
      ? `None of ${lookups} can be compared yet: no new site has been looked up through it.`
      : `None of ${lookups} can be compared yet: no device has looked up a new site.`;
  const who = c.viaRouter ? 'a new site was looked up through the router' : 'a device looking up a new site';
  const after = c.viaRouter
    ? `within ${windowText(c.windowMs)} after ${who}`
    : `within ${windowText(c.windowMs)} of ${who}`;
  // Within the chance margin the share means nothing: say so plainly instead of leading with a big figure.
  if (c.verdict === 'independent')
    return `No sign that the router follows your browsing: ${percent(c.followedShare)} of ${lookups} came ${after}, about as often as by chance (${percent(c.chanceShare)})`;
  return `${percent(c.followedShare)} of ${lookups} came ${after} (by chance: ${percent(c.chanceShare)})`;
}

/** What the figures say, in one short sentence. */
export function verdictText(verdict: CorrelationVerdict): string {
  switch (verdict) {
    case 'tracks-browsing':
      return 'The lookups follow your devices’ browsing: the router appears to report the sites they visit.';
    case 'independent':
      return 'The lookups do not follow browsing any more than chance would: a timer or a check, not a report of visits.';
    case 'unclear':
      return 'The lookups follow browsing somewhat more than chance; not clear yet.';
    case 'too-few':
      return 'Too few lookups (or no devices’ lookups) to tell yet.';
  }
}

/**
 * "Most often after Anna's phone (10.0.0.23): 92 % of its 48 new sites were followed by a lookup"; "" when
 * no device's lookup was followed.
 */
export function topDeviceText(
  c: RuleCorrelation,
  deviceName: (address: string) => string = (a) => a,
): string {
  const top = c.devices[0];
  if (!top || top.attributed === 0 || c.viaRouter) return '';
  const name = deviceName(top.address);
  const label = name && name !== top.address ? `${name} (${top.address})` : top.address;
  return `Most often after ${label}: ${percent(top.followedShare)} of its ${count.format(top.newDomains)} new sites were followed by a lookup.`;
}

/** How the figures are made, for a popover or the report. */
export function methodText(windowMs: number): string {
  return (
    `For each lookup the router made, DNS Witness looks back ${windowText(windowMs)} for a device asking for a ` +
    'name it had not asked for in the previous 30 minutes (a new site). The chance figure is the same count ' +
    'with the router’s timeline shifted by random offsets, which keeps both the browsing and the router’s own ' +
    'rhythm but breaks any link between them. Far above chance means the router’s lookups follow what the ' +
    'devices visit, as a cloud URL-reputation service would.'
  );
}

/**
 * "Encoded lookups under avira.com: 96 % of 1,234 distinct names carry a label that looks like encoded data
 * (26 characters, 4.1 bits per character on average), 3,600 new names an hour, 12 % TXT."
 */
export function shapeSentence(d: DomainShape): string {
  const head = d.encoded ? `Encoded lookups under ${d.domain}` : `Lookups under ${d.domain}`;
  const names = `${count.format(d.distinctNames)}${d.distinctCapped ? '+' : ''} distinct name${d.distinctNames === 1 ? '' : 's'}`;
  const enc =
    d.encodedShare > 0
      ? `${percent(d.encodedShare)} of ${count.format(d.queries)} queries carry a label that looks like encoded data`
      : `${count.format(d.queries)} queries, none with an encoded-looking label`;
  const labels = `labels ${one.format(d.meanLabelLength)} characters, ${one.format(d.meanEntropy)} bits per character on average`;
  const types = d.txtShare > 0 ? `, ${percent(d.txtShare)} TXT` : '';
  const other =
    d.otherTypeShare - d.txtShare > 0.005 ? `, ${percent(d.otherTypeShare - d.txtShare)} other types` : '';
  return `${head}: ${enc} (${labels}); ${names} (${count.format(d.distinctPerHour)} an hour)${types}${other}.`;
}

/** The evidence report's part about correlation, lookup shape, categories and visibility, as plain data. */
export interface InsightsEvidence {
  readonly correlation: readonly {
    readonly rule: string;
    readonly service: string;
    readonly category: RuleCategory;
    readonly windowS: number;
    readonly lookups: number;
    readonly followed: number;
    readonly followedShare: number;
    readonly chanceShare: number;
    readonly pValue: number;
    readonly verdict: CorrelationVerdict;
    readonly viaRouter: boolean;
    readonly topDevice: {
      readonly address: string;
      readonly name: string;
      readonly newDomains: number;
      readonly followedShare: number;
    } | null;
    /** "84 % of your router's … (by chance: 9 %)". */
    readonly sentence: string;
    readonly verdictText: string;
    readonly deviceText: string;
  }[];
  readonly method: string;
  readonly lookupShape: readonly (RouterDomainShape & { readonly sentence: string })[];
  /** Every rule seen, with its category and what that means ("benign but noisy: …"). */
  readonly categories: readonly {
    readonly rule: string;
    readonly service: string;
    readonly category: RuleCategory;
    readonly label: string;
    readonly note: string;
  }[];
  readonly visibility: readonly VisibilityCheck[];
}

/**
 * Everything the report needs from the watch report's correlation, shape and visibility parts, as numbers
 * plus one sentence each. `deviceName` names a device by address (the address itself when unknown).
 */
export function insightsEvidence(
  report: WatchReport,
  deviceName: (address: string) => string = (a) => a,
): InsightsEvidence {
  const rules = new Map(report.rules.map((r) => [r.rule, r]));
  const nameOf = (rule: string) => {
    const r = rules.get(rule);
    return r ? serviceName(r) : rule;
  };
  const windowMs = report.correlation?.[0]?.windowMs ?? 3000;
  return {
    correlation: (report.correlation ?? []).map((c) => {
      const top = c.devices[0];
      return {
        rule: c.rule,
        service: nameOf(c.rule),
        category: rules.get(c.rule)?.category ?? 'vendor-cloud',
        windowS: c.windowMs / 1000,
        lookups: c.lookups,
        followed: c.followed,
        followedShare: c.followedShare,
        chanceShare: c.chanceShare,
        pValue: c.pValue,
        verdict: c.verdict,
        viaRouter: c.viaRouter,
        topDevice:
          top && top.attributed > 0 && !c.viaRouter
            ? {
                address: top.address,
                name: deviceName(top.address),
                newDomains: top.newDomains,
                followedShare: top.followedShare,
              }
            : null,
        sentence: correlationSentence(c, nameOf(c.rule)),
        verdictText: verdictText(c.verdict),
        deviceText: topDeviceText(c, deviceName),
      };
    }),
    method: methodText(windowMs),
    lookupShape: (report.lookupShape ?? []).map((d) => ({ ...d, sentence: shapeSentence(d) })),
    categories: report.rules.map((r) => ({
      rule: r.rule,
      service: serviceName(r),
      category: r.category,
      label: CATEGORY_LABELS[r.category],
      note: CATEGORY_NOTES[r.category],
    })),
    visibility: report.visibility ?? [],
  };
}
