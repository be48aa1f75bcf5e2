/**
 * The shape of the router's lookups: per registrable domain, how many distinct names an hour, which record
 * types, how long and how random the labels are, and whether they look like encoded data rather than host
 * names (security clouds such as Trend Micro WRS or McAfee carry the looked-up URL or its hash inside the
 * DNS name). Pure; time is an input.
 */

/**
 * Public suffixes of more than one label, for the countries and services the watchlist and everyday browsing
 * meet. A compact stand-in for the Public Suffix List (which is ~250 KB): for any other name the last two
 * labels are the registrable domain, which is right for every watchlist domain (all under .com, .net, .me,
 * .sk) and for most names a household asks. A miss only merges or splits a domain's statistics.
 */
const MULTI_LABEL_SUFFIXES = new Set([
  // Country second levels.
  ...['co', 'ac', 'gov', 'org', 'me', 'ltd', 'plc', 'net', 'sch', 'nhs'].map((s) => `${s}.uk`),
  ...['com', 'net', 'org', 'edu', 'gov', 'asn', 'id'].map((s) => `${s}.au`),
  ...['co', 'ne', 'or', 'ac', 'go', 'ed', 'gr', 'ad', 'lg'].map((s) => `${s}.jp`),
  ...['com', 'net', 'org', 'gov', 'edu', 'art', 'blog', 'eco', 'ind', 'tv'].map((s) => `${s}.br`),
  ...['com', 'net', 'org', 'gov', 'edu', 'ac'].map((s) => `${s}.cn`),
  ...['com', 'net', 'org', 'edu', 'gov', 'idv'].map((s) => `${s}.tw`),
  ...['com', 'net', 'org', 'edu', 'gov'].map((s) => `${s}.hk`),
  ...['co', 'net', 'org', 'ac', 'govt', 'geek', 'school'].map((s) => `${s}.nz`),
  ...['co', 'org', 'net', 'ac', 'gov', 'web'].map((s) => `${s}.za`),
  ...['co', 'net', 'org', 'firm', 'gen', 'ind', 'ac', 'edu', 'gov'].map((s) => `${s}.in`),
  ...['co', 'or', 'ne', 'ac', 'go', 're', 'pe'].map((s) => `${s}.kr`),
  ...['com', 'net', 'org', 'edu', 'gob'].map((s) => `${s}.mx`),
  ...['com', 'net', 'org', 'edu', 'gov'].map((s) => `${s}.sg`),
  ...['com', 'net', 'org', 'edu', 'gov', 'gen', 'biz'].map((s) => `${s}.tr`),
  ...['co', 'org', 'net', 'ac', 'gov'].map((s) => `${s}.il`),
  ...['com', 'net', 'org', 'gob', 'edu'].map((s) => `${s}.ar`),
  ...['com', 'net', 'org', 'edu', 'gov'].map((s) => `${s}.my`),
  ...['co', 'or', 'ac', 'go', 'in'].map((s) => `${s}.th`),
  ...['com', 'net', 'org', 'edu'].map((s) => `${s}.ua`),
  ...['com', 'net', 'org', 'edu', 'gov'].map((s) => `${s}.vn`),
  ...['co', 'or', 'ac', 'go'].map((s) => `${s}.id`),
  ...['com', 'net', 'org', 'edu', 'gov'].map((s) => `${s}.pl`),
  ...['com', 'net', 'org', 'edu', 'gov'].map((s) => `${s}.ph`),
  ...['com', 'net', 'org'].map((s) => `${s}.ru`),
  'co.at',
  'or.at',
  'ac.at',
  'com.es',
  'org.es',
  'com.pt',
  'com.gr',
  'com.ro',
  'co.hu',
  'com.eg',
  'com.sa',
  'com.pk',
  'com.ng',
  'co.ke',
  // Hosting suffixes where each subdomain is a different owner.
  'github.io',
  'gitlab.io',
  'herokuapp.com',
  'netlify.app',
  'vercel.app',
  'pages.dev',
  'workers.dev',
  'web.app',
  'firebaseapp.com',
  'appspot.com',
  'blogspot.com',
  'azurewebsites.net',
  'cloudapp.net',
  'duckdns.org',
  'no-ip.org',
  'dyndns.org',
  'asuscomm.com',
  'tplinkdns.com',
  'synology.me',
  'myfritz.net',
]);

/** The registrable domain ("eTLD+1") of a lowercase name: "a.b.safethings.avira.com" → "avira.com". */
export function registrableDomain(name: string): string {
  const labels = name.replace(/\.$/, '').split('.');
  if (labels.length <= 2) return labels.join('.');
  if (labels.at(-1) === 'arpa') return labels.slice(-2).join('.');
  const two = labels.slice(-2).join('.');
  if (MULTI_LABEL_SUFFIXES.has(two)) return labels.slice(-3).join('.');
  return two;
}

/** The labels left of the registrable domain: "x1.y.safethings.avira.com" → ["x1", "y", "safethings"]. */
export function subdomainLabels(name: string): string[] {
  const domain = registrableDomain(name);
  if (name.length <= domain.length) return [];
  return name.slice(0, name.length - domain.length - 1).split('.');
}

/** Shannon entropy of the characters of `s`, bits per character (0 for ""). */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * Letter pairs common in English words and host names. Words are mostly made of them; random letters (base32,
 * base64) hit them about 40 % of the time. The classic feature of DGA and DNS-tunnel detectors.
 */
const COMMON_BIGRAMS = new Set(
  [
    'th he in er an re on at en nd ti es or te of ed is it al ar st to nt ng se ha as ou io le ve co',
    'me de hi ri ro ic ne ea ra ce li ch ll be ma si om ur ca el ta la ns di fo ho pe ec pr no ct us',
    'ac ot il tr ly nc et ut ss so rs un lo wa ge ie wh ee wi em ad ol rt po we na ul ni ts mo ow pa',
    'im mi ai sh ir su id os iv ia am fi ci vi pl ig tu ev ld ry mp fe bl ab gh ty op wo sa ay ex ke',
    'fr oo av ag if ap gr od bo sp rd do uc bu ei ov by rm ep tt oc fa ef cu rn sc gi da yo cr cl du',
    'ga qu ue ff ba ey ls va um pp ua up lu go ht ru ug ds lt pi rc rr eg au ck ew mu br bi pt ak pu',
    'ui rg ib tl ny ki rk ys ob mm fu ph og ms ye ud mb ip ub oi rl gu dr hr cc tw ft wn nu af hu nn',
    'eo vo rv nf xp gn sm fl iz ok nl my gl aw ju oa eq sy sl ps jo lf nv je nk kn gs dy hy ze ks xt',
    'ww cd dn tp db ml js vp mt gp',
  ]
    .join(' ')
    .split(' '),
);

/** Share of adjacent letter pairs of `label` that are common in words (1 when it has no letter pair). */
export function commonBigramShare(label: string): number {
  let pairs = 0;
  let common = 0;
  for (let i = 0; i + 1 < label.length; i++) {
    const a = label.charCodeAt(i);
    const b = label.charCodeAt(i + 1);
    if (a < 97 || a > 122 || b < 97 || b > 122) continue;
    pairs++;
    if (COMMON_BIGRAMS.has(label.slice(i, i + 2))) common++;
  }
  return pairs > 0 ? common / pairs : 1;
}

/** Labels shorter than this are never called encoded: short ids ("e673", "dsce9", "ocsp2") are host names. */
export const ENCODED_MIN_LENGTH = 16;

/**
 * True when a DNS label looks like encoded data (hex, base32, base64url of a hash or of a URL) rather than a
 * host name. Host names are words, abbreviations and numbers joined by hyphens: many vowels, few digits
 * scattered among letters, moderate entropy. Thresholds checked in lookup-shape.test.ts against real host
 * labels and against generated hex, base32 and base64url labels.
 */
export function looksEncoded(label: string): boolean {
  const n = label.length;
  if (n < ENCODED_MIN_LENGTH) return false;
  if (label.startsWith('xn--')) return false; // Punycode: an internationalised name.
  if (/^[0-9a-f]+$/.test(label) && /[0-9]/.test(label) && /[a-f]/.test(label)) return true;
  let digits = 0;
  let vowels = 0;
  let letters = 0;
  let hyphens = 0;
  let switches = 0;
  let prevDigit: boolean | null = null;
  for (let i = 0; i < n; i++) {
    const c = label.charCodeAt(i);
    const isDigit = c >= 48 && c <= 57;
    if (isDigit) digits++;
    else if (c >= 97 && c <= 122) {
      letters++;
      if (c === 97 || c === 101 || c === 105 || c === 111 || c === 117 || c === 121) vowels++;
    } else if (c === 45) hyphens++;
    if (isDigit || (c >= 97 && c <= 122)) {
      if (prevDigit !== null && prevDigit !== isDigit) switches++;
      prevDigit = isDigit;
    }
  }
  // Hyphenated names ("ntd-asus-2014b-en-cfg", "prod-ingestion-eu-central-1") are built from parts that
  // are words, numbers or short ids; base64url data has hyphens too, between random parts.
  if (hyphens >= 2 && hyphens * 8 >= n && label.split('-').every(wordlike)) return false;
  const entropy = shannonEntropy(label);
  const vowelShare = letters > 0 ? vowels / letters : 0;
  // Letters and digits interleaved many times ("jsdhk1cfzc4r9jrf2j"): digits inside the data, not a version.
  if (digits >= 3 && switches >= 4 && entropy >= 3.3) return true;
  // Letters that rarely pair up in words, with a high entropy: random letters (base32, base64).
  if (entropy >= 3.3 && commonBigramShare(label) < 0.6) return true;
  if (n >= 20 && vowelShare < 0.22 && entropy >= 3.6) return true;
  return n >= 40 && entropy >= 4;
}

/** A part of a hyphenated host name: short, a number, or made of common letter pairs. */
function wordlike(part: string): boolean {
  return part.length <= 6 || /^[0-9]+$/.test(part) || commonBigramShare(part) >= 0.6;
}

/** Per-name statistics, computed once per distinct name. */
interface NameStats {
  /** Length and entropy of the name's longest label below the registrable domain (0 without one). */
  readonly labelLength: number;
  readonly entropy: number;
  readonly encoded: boolean;
}

/** The router's lookups under one registrable domain. */
export interface DomainShape {
  readonly domain: string;
  readonly queries: number;
  /** Distinct full names asked (up to the cap, see distinctCapped). */
  readonly distinctNames: number;
  readonly distinctCapped: boolean;
  /** distinctNames per hour of observation. */
  readonly distinctPerHour: number;
  /** Share of queries by type, e.g. { A: 0.5, AAAA: 0.5 }; TXT and the rest kept separately too. */
  readonly types: Readonly<Record<string, number>>;
  readonly txtShare: number;
  /** Share of queries of a type other than A, AAAA and HTTPS (TXT included). */
  readonly otherTypeShare: number;
  /** Mean length and Shannon entropy (bits/char) of each query's longest label under the domain. */
  readonly meanLabelLength: number;
  readonly meanEntropy: number;
  /** Share of queries with a label that looks encoded. */
  readonly encodedShare: number;
  /** "Encoded lookups": most queries carry an encoded-looking label, over several distinct names. */
  readonly encoded: boolean;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/** Most distinct names counted per domain; memory stays bounded on a name-per-query service. */
export const DISTINCT_CAP = 50_000;
/** Most domains tracked; later ones are counted under OTHER_DOMAINS. */
export const DOMAIN_CAP = 5_000;
export const OTHER_DOMAINS = '(other domains)';
/** A domain is flagged "encoded lookups" at this share of queries... */
export const ENCODED_SHARE = 0.5;
/** ...over at least this many distinct names. */
export const ENCODED_MIN_NAMES = 5;

interface DomainAcc {
  queries: number;
  names: Map<string, NameStats>;
  capped: boolean;
  types: Map<string, number>;
  labelLength: number;
  entropy: number;
  encoded: number;
  first: number;
  last: number;
}

/** Accumulates the shape of one source's lookups, one query at a time; `shapes` reads it out. */
export class LookupShapeAccumulator {
  private readonly domains = new Map<string, DomainAcc>();

  /** Adds one lookup of lowercase `qname` of type `qtype` at `ts`. */
  add(ts: number, qname: string, qtype: string): void {
    let domain = registrableDomain(qname);
    let acc = this.domains.get(domain);
    if (!acc && this.domains.size >= DOMAIN_CAP) {
      domain = OTHER_DOMAINS;
      acc = this.domains.get(domain);
    }
    if (!acc) {
      acc = {
        queries: 0,
        names: new Map(),
        capped: false,
        types: new Map(),
        labelLength: 0,
        entropy: 0,
        encoded: 0,
        first: ts,
        last: ts,
      };
      this.domains.set(domain, acc);
    }
    let st = acc.names.get(qname);
    if (!st) {
      st = nameStats(qname);
      if (acc.names.size < DISTINCT_CAP) acc.names.set(qname, st);
      else acc.capped = true;
    }
    acc.queries++;
    acc.types.set(qtype, (acc.types.get(qtype) ?? 0) + 1);
    acc.labelLength += st.labelLength;
    acc.entropy += st.entropy;
    if (st.encoded) acc.encoded++;
    if (ts < acc.first) acc.first = ts;
    if (ts > acc.last) acc.last = ts;
  }

  get size(): number {
    return this.domains.size;
  }

  /**
   * The domains, encoded ones first, then most queries; at most `limit`. `windowMs` is the observation time
   * the hourly figure is over (at least each domain's own span, and at least a minute).
   */
  shapes(windowMs: number, limit = 20): DomainShape[] {
    const out: DomainShape[] = [];
    for (const [domain, a] of this.domains) {
      const hours = Math.max(windowMs, a.last - a.first, 60_000) / 3_600_000;
      const types: Record<string, number> = {};
      let other = 0;
      for (const [t, c] of a.types) {
        types[t] = c / a.queries;
        if (t !== 'A' && t !== 'AAAA' && t !== 'HTTPS') other += c;
      }
      const encodedShare = a.encoded / a.queries;
      out.push({
        domain,
        queries: a.queries,
        distinctNames: a.names.size,
        distinctCapped: a.capped,
        distinctPerHour: a.names.size / hours,
        types,
        txtShare: (a.types.get('TXT') ?? 0) / a.queries,
        otherTypeShare: other / a.queries,
        meanLabelLength: a.labelLength / a.queries,
        meanEntropy: a.entropy / a.queries,
        encodedShare,
        encoded: encodedShare >= ENCODED_SHARE && a.names.size >= ENCODED_MIN_NAMES,
        firstSeen: a.first,
        lastSeen: a.last,
      });
    }
    out.sort(
      (x, y) => Number(y.encoded) - Number(x.encoded) || y.queries - x.queries || cmp(x.domain, y.domain),
    );
    return out.slice(0, Math.max(0, limit));
  }
}

function nameStats(qname: string): NameStats {
  let longest = '';
  let encoded = false;
  for (const label of subdomainLabels(qname)) {
    if (label.length > longest.length) longest = label;
    if (!encoded && looksEncoded(label)) encoded = true;
  }
  return { labelLength: longest.length, entropy: shannonEntropy(longest), encoded };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
