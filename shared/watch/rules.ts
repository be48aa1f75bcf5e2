/**
 * Watchlist rules: which DNS names belong to a known router-telemetry or security-cloud service.
 * The built-in list is the knowledge base in shared/kb/ (docs/KNOWLEDGE.md); users add, edit and
 * disable their own.
 */
import { KB_RULES } from '../kb/index';
import type { KbCategory, KbConfidence, KbRule } from '../kb/schema';

/** security-cloud: lookups about what devices visit (privacy relevant); vendor-cloud: remote management,
 * updates; connectivity: online checks and time sync (benign but noisy). */
export type RuleCategory = 'security-cloud' | 'vendor-cloud' | 'connectivity';

/** How well a rule is supported: observed in DNS logs, named in firmware/SDK source, press report,
 * blocklists, reverse-engineering notes, inference from other entries, a guess, or the user's own. */
export type Confidence = KbConfidence | 'firmware' | 'press' | 'blocklist' | 'third-party' | 'guess' | 'user';

/** How a watched name is answered: forwarded as usual ("off"), NXDOMAIN, or 0.0.0.0 / :: ("null"). */
export type BlockMode = 'off' | 'nxdomain' | 'null';

export interface WatchRule {
  readonly id: string;
  readonly vendor: string;
  /** The product that makes the router talk to the service, e.g. "SafeThings (TP-Link HomeShield / HomeCare Pro)". */
  readonly integration: string;
  readonly routerBrands: readonly string[];
  /**
   * "example.com" matches the domain and every subdomain; "=host.example.com" only that name;
   * "*.example.com" only subdomains; elsewhere "*" matches within one label and "[a-h]" one character.
   */
  readonly patterns: readonly string[];
  readonly category: RuleCategory;
  readonly confidence: Confidence;
  readonly confidenceNote: string;
  readonly enabled: boolean;
  /** One line for the UI. */
  readonly explanation: string;
  readonly evidence: string;
  readonly sources: readonly string[];
  /** The knowledge base's finer category (built-in rules only). */
  readonly kind?: KbCategory;
  /** Ids of the knowledge base's fixes for this rule (shared/kb/index.ts `fixesFor`). */
  readonly fixes?: readonly string[];
}

/** Where each knowledge-base category sits among the three the dashboard groups by. */
export const KIND_CATEGORY: Readonly<Record<KbCategory, RuleCategory>> = {
  telemetry: 'security-cloud',
  'security-cloud': 'security-cloud',
  'advertising-analytics': 'security-cloud',
  'remote-management': 'vendor-cloud',
  ddns: 'vendor-cloud',
  'firmware-update': 'vendor-cloud',
  'connectivity-check': 'connectivity',
  time: 'connectivity',
};

export const KIND_LABELS: Readonly<Record<KbCategory, string>> = {
  telemetry: 'Telemetry',
  'security-cloud': 'Security cloud',
  'advertising-analytics': 'Advertising and analytics',
  'remote-management': 'Remote management',
  ddns: 'Dynamic DNS',
  'firmware-update': 'Firmware and signature updates',
  'connectivity-check': 'Connectivity check',
  time: 'Time sync',
};

const CONFIDENCE_NOTES: Readonly<Record<KbConfidence, string>> = {
  observed: 'observed in public DNS logs',
  documented: 'documented by the vendor (documents or its own firmware)',
  inferred: 'inferred: no source names this exact name',
};

/** "https://…", "owner/repo: path" or "search index file N": how a source is shown. */
function sourceText(s: KbRule['sources'][number]): string {
  if (s.url !== undefined) return s.url;
  if (s.repo !== undefined) return `https://github.com/${s.repo} (${s.path ?? ''})`;
  return `public-code search index file ${s.index ?? ''} (repository not resolved)`;
}

/** A knowledge-base rule in the shape the engine and the dashboard use. */
export function toWatchRule(r: KbRule): WatchRule {
  return {
    id: r.id,
    vendor: r.vendor,
    integration: `${r.product} (${r.feature})`,
    routerBrands: r.devices,
    patterns: r.patterns,
    category: KIND_CATEGORY[r.category],
    confidence: r.confidence,
    confidenceNote: `${CONFIDENCE_NOTES[r.confidence]}: ${r.basis}`,
    enabled: r.enabled ?? true,
    explanation: r.meaning,
    evidence: r.sources.map((s) => s.note).join(' | '),
    sources: r.sources.map(sourceText),
    kind: r.category,
    ...(r.fixes && r.fixes.length > 0 ? { fixes: r.fixes } : {}),
  };
}

export const BUILT_IN_RULES: readonly WatchRule[] = KB_RULES.map(toWatchRule);

/** The most concerning categories first, for ordering. */
export const CATEGORY_ORDER: readonly RuleCategory[] = ['security-cloud', 'vendor-cloud', 'connectivity'];

export const CATEGORY_LABELS: Readonly<Record<RuleCategory, string>> = {
  'security-cloud': 'Security cloud lookups',
  'vendor-cloud': 'Vendor cloud and remote management',
  connectivity: 'Connectivity checks and time sync',
};

/** What each category means for the user, in a few words: whether to worry. */
export const CATEGORY_NOTES: Readonly<Record<RuleCategory, string>> = {
  'security-cloud': 'privacy relevant: may tell the vendor which sites your devices visit',
  'vendor-cloud': 'the maker’s cloud: remote management, app and updates',
  connectivity: 'benign but noisy: online checks and time sync',
};

/** A rule as the engine applies it: built-in or the user's, with the user's choices. */
export interface ActiveRule extends WatchRule {
  readonly builtIn: boolean;
  readonly block: BlockMode;
}
