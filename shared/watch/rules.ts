/**
 * Watchlist rules: which DNS names belong to a known router-telemetry or security-cloud service.
 * The built-in list is shared/watchlist.json; users add, edit and disable their own.
 */
import builtIn from '../watchlist.json';

/** security-cloud: lookups about what devices visit (privacy relevant); vendor-cloud: remote management,
 * updates; connectivity: online checks and time sync (benign but noisy). */
export type RuleCategory = 'security-cloud' | 'vendor-cloud' | 'connectivity';

/** How well a rule is supported: observed in DNS logs, named in firmware/SDK source, press report,
 * blocklists, reverse-engineering notes, inference from other entries, a guess, or the user's own. */
export type Confidence =
  'observed' | 'firmware' | 'press' | 'blocklist' | 'third-party' | 'inferred' | 'guess' | 'user';

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
}

export const BUILT_IN_RULES: readonly WatchRule[] = (builtIn as { rules: WatchRule[] }).rules;

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
