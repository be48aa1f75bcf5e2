/**
 * The knowledge-base lint (`npm run kb:lint`): schema, unique ids and patterns, overlaps only with a
 * declared precedence (`narrows`), every example matched by its own rule, a source per rule and fix.
 * Pure: the caller reads the files; the unit tests run the same function on the built-in files.
 */
import { parsePattern, WatchMatcher, type ParsedPattern } from '../watch/match';
import type { WatchRule } from '../watch/rules';
import { bypassFileSchema, kbFileSchema, type KbFile, type KbSource } from './schema';

export interface KbSummary {
  readonly rules: number;
  readonly vendors: number;
  readonly fixes: number;
  readonly sources: number;
}

export interface KbLintResult {
  readonly errors: readonly string[];
  readonly summary: KbSummary;
}

/** A stand-in rule for the matcher: only id and patterns matter. */
function probe(id: string, patterns: readonly string[]): WatchRule {
  return {
    id,
    vendor: '',
    integration: '',
    routerBrands: [],
    patterns,
    category: 'vendor-cloud',
    confidence: 'user',
    confidenceNote: '',
    enabled: true,
    explanation: '',
    evidence: '',
    sources: [],
  };
}

/** A name the pattern matches: the name itself, one label under it, or the glob with its wildcards filled. */
function sample(p: ParsedPattern): string {
  if (p.kind === 'subdomains') return `x.${p.value}`;
  if (p.kind === 'glob') return p.value.replace(/\*/g, 'x').replace(/\[([a-z0-9])[^\]]*\]/g, '$1');
  return p.value;
}

function overlaps(a: string, pa: ParsedPattern, b: string, pb: ParsedPattern): boolean {
  const ma = new WatchMatcher([probe('a', [a])]);
  const mb = new WatchMatcher([probe('b', [b])]);
  return ma.match(sample(pb)) === 'a' || mb.match(sample(pa)) === 'b';
}

/** A stable key per source, for counting distinct sources. */
export function sourceKey(s: KbSource): string {
  if (s.url !== undefined) return s.url.replace(/\/+$/, '');
  if (s.repo !== undefined) return `${s.repo}:${s.path ?? ''}`;
  return `index:${s.index ?? ''}`;
}

/**
 * Lints the knowledge base. `files` maps a file name in shared/kb/rules/ to its parsed JSON; `listed`
 * is the file names shared/kb/index.ts imports (they must be the same set). Never throws.
 */
export function lintKb(
  files: Readonly<Record<string, unknown>>,
  bypass: unknown,
  listed: readonly string[] = Object.keys(files),
): KbLintResult {
  const errors: string[] = [];
  const good: [string, KbFile][] = [];
  for (const [name, json] of Object.entries(files)) {
    const r = kbFileSchema.safeParse(json);
    if (!r.success) {
      for (const issue of r.error.issues)
        errors.push(`${name}: ${issue.path.join('.') || '(file)'}: ${issue.message}`);
      continue;
    }
    good.push([name, r.data]);
  }
  for (const name of Object.keys(files))
    if (!listed.includes(name)) errors.push(`${name}: not imported by shared/kb/index.ts`);
  for (const name of listed) if (!(name in files)) errors.push(`${name}: imported but missing`);

  const sources = new Set<string>();
  const ruleFile = new Map<string, string>();
  const fixIds = new Map<string, string>();
  const usedFixes = new Set<string>();
  const retired = new Set<string>();
  for (const [name, f] of good) {
    for (const r of f.retired ?? []) retired.add(r.id);
    for (const fix of f.fixes ?? []) {
      if (fixIds.has(fix.id)) errors.push(`${name}: fix ${fix.id} also in ${fixIds.get(fix.id)}`);
      fixIds.set(fix.id, name);
      for (const s of fix.sources) sources.add(sourceKey(s));
    }
  }
  const rules = good.flatMap(([name, f]) => f.rules.map((rule) => ({ name, rule })));
  for (const { name, rule } of rules) {
    if (ruleFile.has(rule.id)) errors.push(`${name}: rule ${rule.id} also in ${ruleFile.get(rule.id)}`);
    ruleFile.set(rule.id, name);
    if (retired.has(rule.id)) errors.push(`${name}: rule ${rule.id} reuses a retired id`);
    for (const s of rule.sources) sources.add(sourceKey(s));
    for (const id of rule.fixes ?? []) {
      usedFixes.add(id);
      if (!fixIds.has(id)) errors.push(`${name}: rule ${rule.id} lists unknown fix ${id}`);
    }
  }
  for (const [id, name] of fixIds)
    if (!usedFixes.has(id)) errors.push(`${name}: fix ${id} is used by no rule`);

  // Patterns: each parses, none twice, and overlaps only where one rule says it narrows the other.
  const parsed: { rule: string; text: string; p: ParsedPattern }[] = [];
  const seen = new Map<string, string>();
  for (const { name, rule } of rules) {
    for (const text of rule.patterns) {
      const p = parsePattern(text);
      if ('error' in p) {
        errors.push(`${name}: rule ${rule.id}: ${p.error}`);
        continue;
      }
      const key = `${p.kind}:${p.value}`;
      if (seen.has(key))
        errors.push(`${name}: rule ${rule.id}: pattern ${text} also in rule ${seen.get(key)}`);
      seen.set(key, rule.id);
      parsed.push({ rule: rule.id, text, p });
    }
  }
  const narrows = new Map(rules.map(({ rule }) => [rule.id, new Set(rule.narrows ?? [])]));
  const overlapping = new Set<string>();
  for (let i = 0; i < parsed.length; i++) {
    for (let j = i + 1; j < parsed.length; j++) {
      const a = parsed[i]!;
      const b = parsed[j]!;
      if (a.rule === b.rule || !overlaps(a.text, a.p, b.text, b.p)) continue;
      overlapping.add(`${a.rule}>${b.rule}`).add(`${b.rule}>${a.rule}`);
      if (!narrows.get(a.rule)?.has(b.rule) && !narrows.get(b.rule)?.has(a.rule))
        errors.push(
          `rules ${a.rule} (${a.text}) and ${b.rule} (${b.text}) overlap: the narrower one must list the other in "narrows"`,
        );
    }
  }
  for (const { name, rule } of rules)
    for (const other of rule.narrows ?? []) {
      if (!ruleFile.has(other)) errors.push(`${name}: rule ${rule.id} narrows unknown rule ${other}`);
      else if (!overlapping.has(`${rule.id}>${other}`))
        errors.push(`${name}: rule ${rule.id} narrows ${other}, but their patterns do not overlap`);
    }

  // Every example is matched by its own rule, with every rule on (precedence decides overlaps).
  const all = new WatchMatcher(rules.map(({ rule }) => probe(rule.id, rule.patterns)));
  for (const { name, rule } of rules)
    for (const ex of rule.examples) {
      const got = all.match(ex);
      if (got !== rule.id)
        errors.push(`${name}: rule ${rule.id}: example ${ex} is matched by ${got === '' ? 'no rule' : got}`);
    }

  const b = bypassFileSchema.safeParse(bypass);
  if (!b.success)
    for (const issue of b.error.issues) errors.push(`bypass.json: ${issue.path.join('.')}: ${issue.message}`);
  else {
    const ids = new Set<string>();
    for (const e of b.data.entries) {
      if (ids.has(e.id)) errors.push(`bypass.json: entry ${e.id} twice`);
      ids.add(e.id);
      for (const s of e.sources) sources.add(sourceKey(s));
      for (const text of e.patterns) {
        const p = parsePattern(text);
        if ('error' in p) errors.push(`bypass.json: ${e.id}: ${p.error}`);
      }
    }
    const m = new WatchMatcher(b.data.entries.map((e) => probe(e.id, e.patterns)));
    for (const e of b.data.entries)
      for (const ex of e.examples)
        if (m.match(ex) !== e.id)
          errors.push(`bypass.json: ${e.id}: example ${ex} is matched by ${m.match(ex) || 'no entry'}`);
  }

  return {
    errors,
    summary: {
      rules: rules.length,
      vendors: new Set(rules.map(({ rule }) => rule.vendor.toLowerCase())).size,
      fixes: fixIds.size,
      sources: sources.size,
    },
  };
}

/** "N rules, V vendors, F fixes, S sources". */
export function summaryLine(s: KbSummary): string {
  return `${s.rules} rules, ${s.vendors} vendors, ${s.fixes} fixes, ${s.sources} sources`;
}
