/**
 * Watchlist payloads of the UI contract besides the report itself: the first-contact alert, per-minute
 * counts of watched queries for the charts, the user's own rules as typed, and the router-model setting.
 */
import { parsePattern } from './match';
import { BUILT_IN_RULES, type BlockMode, type RuleCategory } from './rules';

/** Router traffic to a watched service seen for the first time: the finding the app exists for. */
export interface WatchAlert {
  readonly rule: string;
  readonly vendor: string;
  readonly integration: string;
  /** The rule's category, so a receiver can tell a connectivity check without the rule list. */
  readonly category: RuleCategory;
  readonly address: string;
  /** Epoch ms of the query that raised it. */
  readonly ts: number;
  readonly message: string;
}

/** Watched queries of one minute: one entry per (rule, client) pair that asked in it. */
export interface WatchMinuteBucket {
  /** Epoch ms of the start of the minute. */
  readonly minute: number;
  readonly counts: readonly { readonly rule: string; readonly client: string; readonly n: number }[];
}

/** Per-minute watched counts up to and including the event `lastSeq`; later events come live. */
export interface WatchMinutes {
  readonly lastSeq: number;
  /** Oldest first. */
  readonly minutes: readonly WatchMinuteBucket[];
}

/** The user's choices that are not rules: which router model they own ("" when not said). */
export interface WatchSettings {
  readonly routerModel: string;
  /** How far back from a router lookup the correlation looks for a device's new-domain lookup, seconds. */
  readonly correlationWindowS: number;
}

/** The correlation look-back window: the default, and the range a user may set (seconds). */
export const CORRELATION_WINDOW_S = { default: 3, min: 0.1, max: 60 } as const;

/** What changes about a rule: switched on or off, and how its names are answered. */
export interface RuleChange {
  readonly enabled?: boolean;
  readonly block?: BlockMode;
}

/** One of the user's own rules as typed; `id` replaces that rule, none adds a new one. */
export interface RuleInput {
  readonly id?: string;
  readonly vendor: string;
  readonly integration: string;
  readonly patterns: readonly string[];
  readonly category: RuleCategory;
  readonly explanation: string;
}

/** Longest texts of a user rule, in characters. */
export const RULE_VENDOR_MAX = 64;
export const RULE_INTEGRATION_MAX = 120;
export const RULE_EXPLANATION_MAX = 300;
export const RULE_PATTERNS_MAX = 50;
/** Longest marker label, in characters (the engine keeps no more). */
export const MARKER_LABEL_MAX = 120;
export const ROUTER_MODEL_MAX = 64;

/** The engine's refusal for an empty pattern list; the dashboard shows the same words. */
export const NO_PATTERN = 'a rule needs at least one pattern, e.g. safethings.avira.com';
export const BUILT_IN_READ_ONLY = 'built-in rules can be switched off, not edited';
export const NO_MARKER_LABEL = 'a marker needs a label, e.g. "HomeShield switched off"';

/**
 * Patterns as typed in a text box: one per line (commas also separate), blanks dropped. Spaces do not
 * separate, so "bad name.example" is reported as the mistake it is.
 */
export function splitPatterns(text: string): string[] {
  return text
    .split(/[\n,]+/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** The first problem with `patterns` (blank entries ignored), or "" when all parse. Never throws. */
export function patternsProblem(patterns: readonly string[]): string {
  const list = patterns.map((p) => p.trim()).filter((p) => p !== '');
  if (list.length === 0) return NO_PATTERN;
  if (list.length > RULE_PATTERNS_MAX) return `a rule can have at most ${RULE_PATTERNS_MAX} patterns`;
  for (const p of list) {
    const parsed = parsePattern(p);
    if ('error' in parsed) return parsed.error;
  }
  return '';
}

/** True for the id of a rule that ships with the app. */
export function isBuiltInRule(id: string): boolean {
  return BUILT_IN_RULES.some((r) => r.id === id);
}
