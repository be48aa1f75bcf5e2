/** What the engine reports about watchlist traffic: per rule, per device, and around the user's markers. */
import type { Correlation } from './correlation';
import type { LookupRate } from './lookup-rate';
import type { DomainShape } from './lookup-shape';
import type { Confidence, RuleCategory } from './rules';
import type { UnknownName } from './unknown-names';
import type { VisibilityCheck } from './visibility';

/** A moment the user marked in the capture ("HomeShield switched off"). */
export interface Marker {
  readonly id: string;
  /** Epoch ms. */
  readonly ts: number;
  readonly label: string;
}

/** The rate of one queried name within a (device, rule) pair. */
export interface NameRateStats {
  readonly name: string;
  readonly queries: number;
  /** Its figures, from shared/watch/lookup-rate.ts. */
  readonly rate: LookupRate;
  /** "every 1.0 s ± 0.1 s" for a beacon, "" otherwise. */
  readonly every: string;
}

/** One device's queries for one rule. */
export interface DeviceRuleStats {
  readonly address: string;
  readonly isRouter: boolean;
  readonly queries: number;
  /** Count, span, rates, intervals and regularity, from shared/watch/lookup-rate.ts. */
  readonly rate: LookupRate;
  /** "every 1.0 s ± 0.1 s" for a beacon, "" otherwise. */
  readonly every: string;
  /** The most queried names of this pair, most queries first (at most MAX_NAMES_PER_DEVICE). */
  readonly names: readonly NameRateStats[];
  /** Distinct names queried beyond those listed. */
  readonly otherNames: number;
}

/** How many names a (device, rule) pair lists with their own rates. */
export const MAX_NAMES_PER_DEVICE = 8;

export interface RuleReport {
  readonly rule: string;
  readonly vendor: string;
  readonly integration: string;
  readonly category: RuleCategory;
  readonly confidence: Confidence;
  readonly explanation: string;
  /** The rule's name patterns, e.g. "*.safethings.avira.com" (absent from older engines). */
  readonly patterns?: readonly string[];
  readonly queries: number;
  readonly routerQueries: number;
  /** Every device's lookups of the rule together, from shared/watch/lookup-rate.ts. */
  readonly rate: LookupRate;
  /** Most queries first; the router first among equals. */
  readonly devices: readonly DeviceRuleStats[];
}

/** The rate of one (device, rule) before and after one marker. */
export interface MarkerEffect {
  readonly marker: string;
  readonly rule: string;
  readonly address: string;
  readonly before: { readonly count: number; readonly perHour: number; readonly windowMs: number };
  readonly after: { readonly count: number; readonly perHour: number; readonly windowMs: number };
  /** after / before − 1; null without a before rate or while waiting. */
  readonly change: number | null;
  /** How much longer until the "after" window could show a change (see compareAroundMarker), ms; 0 when it can. */
  readonly waitMs: number;
}

/** The router's lookups of one rule against the devices' new-domain lookups (shared/watch/correlation.ts). */
export interface RuleCorrelation extends Correlation {
  readonly rule: string;
  /** The router addresses whose lookups were examined. */
  readonly routers: readonly string[];
  /**
   * True when the router is the only client (it proxies its devices): its own other lookups stood in for
   * the devices'.
   */
  readonly viaRouter: boolean;
}

/** The router's lookups under one registrable domain, with the watchlist rule its names matched ("" none). */
export interface RouterDomainShape extends DomainShape {
  readonly rule: string;
}

export interface WatchReport {
  /** The observation time the rates are computed over (the retained captures' durations), ms. */
  readonly windowMs: number;
  /** Rules with at least one query, router traffic first, then most queries. */
  readonly rules: readonly RuleReport[];
  readonly markers: readonly Marker[];
  readonly effects: readonly MarkerEffect[];
  /** Per rule the router asked: does it follow the devices' browsing? (Absent from older engines.) */
  readonly correlation?: readonly RuleCorrelation[];
  /** The router's lookups per registrable domain, encoded-looking ones first. */
  readonly lookupShape?: readonly RouterDomainShape[];
  /** What the capture cannot see, where it applies (shared/watch/visibility.ts). */
  readonly visibility?: readonly VisibilityCheck[];
  /** The router's names that no rule explains, most asked first (shared/watch/unknown-names.ts). */
  readonly unknownNames?: readonly UnknownName[];
}
