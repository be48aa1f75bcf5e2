/**
 * The knowledge base of router and home-network telemetry: the shape of one file in shared/kb/rules/
 * (one file per vendor or service) and of shared/kb/bypass.json. docs/KNOWLEDGE.md explains each field;
 * `npm run kb:lint` checks every file against these schemas and more (shared/kb/lint.ts).
 */
import { z } from 'zod';

/** What a service does for the router. Ordered from most to least concerning. */
export const KB_CATEGORIES = [
  'telemetry',
  'security-cloud',
  'advertising-analytics',
  'remote-management',
  'ddns',
  'firmware-update',
  'connectivity-check',
  'time',
] as const;
export type KbCategory = (typeof KB_CATEGORIES)[number];

/**
 * observed: a public DNS log, blocklist entry or forum post shows a device asking for the name.
 * documented: the vendor's own documentation or the vendor's own code (firmware, GPL source) names it.
 * inferred: the sources name the product and a neighbouring name, not this one; disabled by default.
 */
export const KB_CONFIDENCE = ['observed', 'documented', 'inferred'] as const;
export type KbConfidence = (typeof KB_CONFIDENCE)[number];

const KEBAB = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const HOST = /^[a-z0-9_-]+(?:\.[a-z0-9_-]+)+$/;

/**
 * Where a fact comes from: a URL, or a file in a public repository, that the rule's author read. `index`
 * is the weakest form: a file in the public-code search index whose repository could not be resolved
 * (the id lets a maintainer open it again); such a source should be upgraded to a URL or repo + path.
 */
export const kbSourceSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }).optional(),
    index: z
      .string()
      .regex(/^[0-9]{1,12}$/, 'index is the numeric id of a file in the search index')
      .optional(),
    repo: z
      .string()
      .regex(/^[\w.-]+\/[\w.-]+$/, 'repo is "owner/name"')
      .optional(),
    path: z.string().min(1).optional(),
    /** What the source says, in a sentence or a short quote. */
    note: z.string().min(12),
  })
  .strict()
  .refine(
    (s) => [s.url, s.repo, s.index].filter((x) => x !== undefined).length === 1,
    'a source has exactly one of url, repo (with path) or index',
  )
  .refine((s) => (s.repo === undefined) === (s.path === undefined), 'a repo source names its path');
export type KbSource = z.infer<typeof kbSourceSchema>;

/** Steps in the router's own menus (or app) that stop or reduce what a rule describes. */
export const kbFixSchema = z
  .object({
    id: z.string().regex(KEBAB),
    title: z.string().min(8),
    /** Where the switch is: the router's web page, the vendor's app, or both. */
    where: z.string().min(4),
    steps: z.array(z.string().min(4)).min(1),
    /** What the user should see in DNS Witness afterwards, and any caveat. */
    expect: z.string().min(12),
    sources: z.array(kbSourceSchema).min(1),
  })
  .strict();
export type KbFix = z.infer<typeof kbFixSchema>;

export const kbRuleSchema = z
  .object({
    id: z.string().regex(KEBAB),
    /** Whose servers: "Avira", "Trend Micro", "TP-Link". */
    vendor: z.string().min(2),
    /** The product that makes the device talk to them: "TP-Link HomeShield". */
    product: z.string().min(2),
    /** The feature within the product: "URL reputation lookups". */
    feature: z.string().min(3),
    category: z.enum(KB_CATEGORIES),
    /** Devices known to do it: "TP-Link Archer AX55". */
    devices: z.array(z.string().min(2)).min(1),
    /** Pattern syntax as in shared/watch/match.ts. */
    patterns: z.array(z.string().min(3)).min(1),
    /** Names from the sources that the patterns must match (and that this rule must win). */
    examples: z.array(z.string().regex(HOST)).min(1),
    /** What it means for the user, in one or two sentences. */
    meaning: z.string().min(20),
    confidence: z.enum(KB_CONFIDENCE),
    /** How the sources support the rule, e.g. "named in ASUS GPL source; seen in a Pi-hole log". */
    basis: z.string().min(8),
    sources: z.array(kbSourceSchema).min(1),
    /** Off by default (inferred rules, or names also used by ordinary browsing). */
    enabled: z.boolean().optional(),
    /**
     * Ids of broader rules whose patterns overlap this rule's: this rule wins for its names, because
     * an exact name beats a glob, a glob beats a domain suffix and a longer suffix beats a shorter.
     */
    narrows: z.array(z.string().regex(KEBAB)).optional(),
    /** Ids of fixes (in any file) that apply. */
    fixes: z.array(z.string().regex(KEBAB)).optional(),
  })
  .strict();
export type KbRule = z.infer<typeof kbRuleSchema>;

/** Ids of rules that were removed (no source could be found): never reused, so saved choices stay apart. */
export const kbRetiredSchema = z
  .object({
    id: z.string().regex(KEBAB),
    reason: z.string().min(12),
  })
  .strict();

export const kbFileSchema = z
  .object({
    $schema: z.string().optional(),
    /** The router maker or service the file is about. */
    subject: z.string().min(2),
    about: z.string().min(12),
    rules: z.array(kbRuleSchema),
    fixes: z.array(kbFixSchema).optional(),
    retired: z.array(kbRetiredSchema).optional(),
  })
  .strict();
export type KbFile = z.infer<typeof kbFileSchema>;

/**
 * doh / dot: the name of a public encrypted-DNS resolver; canary: a name a resolver or browser asks to
 * decide whether to use encrypted DNS; hardcoded: a plain resolver name firmware uses instead of the
 * one DHCP gave it.
 */
export const BYPASS_KINDS = ['doh', 'dot', 'canary', 'hardcoded'] as const;
export type BypassKind = (typeof BYPASS_KINDS)[number];

export const bypassEntrySchema = z
  .object({
    id: z.string().regex(KEBAB),
    provider: z.string().min(2),
    kinds: z.array(z.enum(BYPASS_KINDS)).min(1),
    patterns: z.array(z.string().min(3)).min(1),
    examples: z.array(z.string().regex(HOST)).min(1),
    note: z.string().min(12),
    sources: z.array(kbSourceSchema).min(1),
  })
  .strict();
export type BypassEntry = z.infer<typeof bypassEntrySchema>;

export const bypassFileSchema = z
  .object({
    $schema: z.string().optional(),
    about: z.string().min(12),
    entries: z.array(bypassEntrySchema).min(1),
  })
  .strict();
export type BypassFile = z.infer<typeof bypassFileSchema>;
