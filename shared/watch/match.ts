/**
 * Matching DNS names against watchlist patterns. Pure and fast: an exact-name map, a walk over the name's
 * parent domains in a suffix map, and a few compiled globs guarded by their literal tail.
 * Precedence: an exact pattern beats a glob, a glob beats a domain suffix, a longer suffix beats a shorter.
 */
import type { WatchRule } from './rules';

export type PatternKind = 'exact' | 'domain' | 'subdomains' | 'glob';

export interface ParsedPattern {
  readonly kind: PatternKind;
  /** Normalised: lowercase ASCII (IDN labels in punycode), no trailing dot, without the "=" / "*." prefix. */
  readonly value: string;
}

const LABEL = /^[a-z0-9_*\-[\]]+$/;

/** Lowercase, no trailing dot; Unicode labels converted to punycode (IDNA) as they appear in DNS. */
export function normalizeName(name: string): string {
  let n = name.trim().toLowerCase();
  if (n.endsWith('.') && n.length > 1) n = n.slice(0, -1);
  if (!/[^\x00-\x7f]/.test(n)) return n;
  return n
    .split('.')
    .map((label) => {
      if (!/[^\x00-\x7f]/.test(label)) return label;
      try {
        return new URL(`http://${label}.invalid`).hostname.split('.')[0] ?? label;
      } catch {
        return label;
      }
    })
    .join('.');
}

/** Parses one pattern; returns an error message instead of throwing. */
export function parsePattern(pattern: string): ParsedPattern | { readonly error: string } {
  const raw = pattern.trim();
  let kind: PatternKind = 'domain';
  let text = raw;
  if (text.startsWith('=')) {
    kind = 'exact';
    text = text.slice(1);
  } else if (text.startsWith('*.') && !/[*[]/.test(text.slice(2))) {
    kind = 'subdomains';
    text = text.slice(2);
  }
  const value = normalizeName(text);
  if (value === '' || value === '.') return { error: 'a pattern needs a name, e.g. safethings.avira.com' };
  if (value.length > 253) return { error: 'a name has at most 253 characters' };
  const labels = value.split('.');
  for (const label of labels) {
    if (label === '') return { error: `"${pattern}" has an empty label (two dots in a row)` };
    if (label.length > 63) return { error: `"${label}" is longer than 63 characters` };
    if (!LABEL.test(label)) return { error: `"${label}" has characters a DNS name cannot have` };
  }
  const wild = /[*[]/.test(value);
  if (wild && kind === 'exact') return { error: 'an exact name ("=...") cannot contain * or [' };
  if (wild) {
    if (!/^(?:[^[\]]|\[[a-z0-9](?:-[a-z0-9])?\])*$/.test(value))
      return { error: `"${pattern}": use [a-h] for a range of one character` };
    kind = 'glob';
  }
  return { kind, value };
}

interface Glob {
  readonly regex: RegExp;
  /** The part after the last wildcard: a cheap filter before the regex. */
  readonly tail: string;
  readonly rule: string;
}

function globToRegex(value: string): RegExp {
  let re = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '*') re += '[^.]*';
    else if (c === '[') {
      const end = value.indexOf(']', i);
      re += value.slice(i, end + 1);
      i = end;
    } else re += c === '.' ? '\\.' : c.replace(/[-\\^$+?()|{}]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const CACHE_LIMIT = 8192;

/** Matches names to the first enabled rule by the precedence above. `match` never throws. */
export class WatchMatcher {
  private readonly exact = new Map<string, string>();
  private readonly domains = new Map<string, string>();
  private readonly subdomains = new Map<string, string>();
  private readonly globs: Glob[] = [];
  private readonly cache = new Map<string, string>();

  constructor(rules: readonly WatchRule[]) {
    for (const rule of rules) {
      if (!rule.enabled) continue;
      for (const p of rule.patterns) {
        const parsed = parsePattern(p);
        if ('error' in parsed) continue;
        const target =
          parsed.kind === 'exact'
            ? this.exact
            : parsed.kind === 'domain'
              ? this.domains
              : parsed.kind === 'subdomains'
                ? this.subdomains
                : null;
        if (target) {
          if (!target.has(parsed.value)) target.set(parsed.value, rule.id);
          continue;
        }
        const lastWild = Math.max(parsed.value.lastIndexOf('*'), parsed.value.lastIndexOf(']'));
        this.globs.push({
          regex: globToRegex(parsed.value),
          tail: parsed.value.slice(lastWild + 1),
          rule: rule.id,
        });
      }
    }
    // Longer literal tails are more specific: try them first.
    this.globs.sort((a, b) => b.tail.length - a.tail.length);
  }

  /** The id of the rule `name` matches, or "" for none. `name` as in QueryEvent.qname (lowercase, no trailing dot). */
  match(name: string): string {
    const hit = this.cache.get(name);
    if (hit !== undefined) return hit;
    const result = this.lookup(name.endsWith('.') ? normalizeName(name) : name.toLowerCase());
    // Bounded: a flood of random names must not grow memory.
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(name, result);
    return result;
  }

  private lookup(n: string): string {
    const exact = this.exact.get(n);
    if (exact !== undefined) return exact;
    for (const g of this.globs) if (n.endsWith(g.tail) && g.regex.test(n)) return g.rule;
    for (let i = 0; i >= 0; i = n.indexOf('.', i) + 1 || -1) {
      const d = i === 0 ? n : n.slice(i);
      if (i > 0) {
        const sub = this.subdomains.get(d);
        if (sub !== undefined) return sub;
      }
      const dom = this.domains.get(d);
      if (dom !== undefined) return dom;
    }
    return '';
  }
}
