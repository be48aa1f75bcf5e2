// Reads a renderer CPU profile (CDP Profiler, .cpuprofile) taken on the unminified bundle and says where
// the main thread's time went: by function (self and inclusive) and by source file, mapped back through
// the bundle's source map to renderer/src and node_modules.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Shortens a source-map path to "renderer/src/lib/ring.ts" or "react-dom/cjs/…". */
function shortSource(source) {
  const s = source.replaceAll('\\', '/');
  const nm = s.lastIndexOf('node_modules/');
  if (nm >= 0) return s.slice(nm + 'node_modules/'.length);
  const r = s.indexOf('renderer/');
  return r >= 0 ? s.slice(r) : s.replace(/^(\.\.\/)+/, '');
}

/** Which part of the page a source belongs to, for the long-span breakdown. */
export function category(source) {
  if (source.startsWith('renderer/src/')) return 'renderer/src';
  if (/^(recharts|d3-|reselect|es-toolkit|@reduxjs|redux|immer|victory-vendor|decimal\.js)/.test(source))
    return 'recharts';
  if (/^(react|react-dom|scheduler)\//.test(source)) return 'React';
  if (source.startsWith('@tanstack/')) return 'virtualizer';
  if (source === '(program)') return 'native (style, layout, paint, parsing)';
  if (source === '(garbage collector)') return 'GC';
  return source.includes('/') ? 'other libraries' : 'DOM and web APIs';
}

/**
 * Maps a bundle position (0-based line and column) to its source, via the .map files in `assetsDir`;
 * null when there is no map (source-map-js missing, or a minified build without maps).
 */
async function loadMapper(assetsDir) {
  let SourceMapConsumer;
  try {
    ({ SourceMapConsumer } = await import('source-map-js'));
  } catch {
    return () => null;
  }
  const consumers = new Map();
  if (existsSync(assetsDir))
    for (const f of readdirSync(assetsDir).filter((n) => n.endsWith('.js.map')))
      consumers.set(
        f.slice(0, -'.map'.length),
        new SourceMapConsumer(JSON.parse(readFileSync(path.join(assetsDir, f), 'utf8'))),
      );
  const cache = new Map();
  return (url, line, column) => {
    const consumer = consumers.get(path.basename(url.split('?')[0] ?? ''));
    if (!consumer || line < 0) return null;
    const key = `${url}:${line}:${column}`;
    if (!cache.has(key)) {
      const pos = consumer.originalPositionFor({ line: line + 1, column: Math.max(0, column) });
      cache.set(key, pos.source ? { source: shortSource(pos.source), line: pos.line } : null);
    }
    return cache.get(key);
  };
}

/**
 * A function (script url, character offset) → "source:line", for the positions the Long Animation Frames
 * API reports; null for positions it cannot map.
 */
export async function loadCharMapper(assetsDir) {
  const map = await loadMapper(assetsDir);
  const lineStarts = new Map();
  const startsOf = (name) => {
    if (!lineStarts.has(name)) {
      const file = path.join(assetsDir, name);
      const starts = [0];
      if (existsSync(file)) {
        const text = readFileSync(file, 'utf8');
        for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
      }
      lineStarts.set(name, starts);
    }
    return lineStarts.get(name);
  };
  return (url, char) => {
    if (!url || !(char >= 0)) return null;
    const starts = startsOf(path.basename(url.split('?')[0] ?? ''));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= char) lo = mid;
      else hi = mid - 1;
    }
    const pos = map(url, lo, char - starts[lo]);
    return pos ? `${pos.source}:${pos.line}` : null;
  };
}

/**
 * Summarises `file`: { busyMs, wallMs, selfByFunction, inclusiveByFunction, selfBySource, inclusiveOwn,
 * longSpans }. Lists are [{ name, where, ms, share }] sorted by time, `share` of the busy (non-idle) time;
 * inclusiveOwn keeps only functions from renderer/src. Inclusive time counts a function once per sample
 * however deep it recurses; "(program)" (native work: style, layout, paint, parsing) and "(garbage
 * collector)" stay in. longSpans: every run of busy samples of at least `minSpanMs` (a long task seen by
 * the profiler), with its top renderer/src functions and its self time by part (see category()).
 */
export async function summariseProfile(file, assetsDir, { limit = 15, minSpanMs = 50 } = {}) {
  const prof = JSON.parse(readFileSync(file, 'utf8'));
  const map = await loadMapper(assetsDir);
  const nodeById = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = new Map();
  const labelOf = (id) => {
    if (keyOf.has(id)) return keyOf.get(id);
    const cf = nodeById.get(id).callFrame;
    const mapped = cf.url ? map(cf.url, cf.lineNumber, cf.columnNumber) : null;
    const where = mapped
      ? `${mapped.source}:${mapped.line}`
      : cf.url
        ? `${path.basename(cf.url)}:${cf.lineNumber + 1}`
        : '';
    const label = {
      name: cf.functionName || '(anonymous)',
      where,
      source: mapped?.source ?? (cf.url ? path.basename(cf.url) : cf.functionName),
    };
    keyOf.set(id, label);
    return label;
  };
  const labelKey = (l) => `${l.name}\u0000${l.where}`;
  const own = (l) => l.where.startsWith('renderer/src/');
  const self = new Map();
  const inclusive = new Map();
  const inclusiveOwn = new Map();
  const bySource = new Map();
  const byPart = new Map();
  let busyUs = 0;
  const add = (m, k, v, label) => {
    const e = m.get(k) ?? { ...label, us: 0 };
    e.us += v;
    m.set(k, e);
  };
  /** Distinct functions on the stack of sample node `id`, leaf first. */
  const stackOf = (id) => {
    const seen = new Map();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const l = labelOf(cur);
      if (l.name !== '(root)' && !seen.has(labelKey(l))) seen.set(labelKey(l), l);
    }
    return seen;
  };
  // Busy spans: runs of samples with no idle sample between them, i.e. (at most) one long task each.
  const spans = [];
  let span = null;
  let t = prof.startTime;
  prof.samples.forEach((id, i) => {
    const us = prof.timeDeltas[i] ?? 0;
    t += us;
    const leaf = labelOf(id);
    if (leaf.name === '(idle)') {
      if (span) spans.push(span);
      span = null;
      return;
    }
    busyUs += us;
    add(self, labelKey(leaf), us, leaf);
    add(bySource, leaf.source, us, { name: leaf.source, where: '' });
    add(byPart, category(leaf.source), us, { name: category(leaf.source), where: '' });
    span ??= { start: t - us, us: 0, own: new Map(), parts: new Map() };
    span.us += us;
    const part = category(leaf.source);
    add(span.parts, part, us, { name: part, where: '' });
    for (const [k, l] of stackOf(id)) {
      add(inclusive, k, us, l);
      if (own(l)) {
        add(inclusiveOwn, k, us, l);
        add(span.own, k, us, l);
      }
    }
  });
  if (span) spans.push(span);
  const top = (m, n = limit, whole = busyUs) =>
    [...m.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, n)
      .map((e) => ({ name: e.name, where: e.where, ms: e.us / 1000, share: e.us / whole }));
  const longSpans = spans
    .filter((x) => x.us >= minSpanMs * 1000)
    .map((x) => ({
      atMs: (x.start - prof.startTime) / 1000,
      ms: x.us / 1000,
      own: top(x.own, 6, x.us),
      parts: top(x.parts, 4, x.us),
    }));
  return {
    busyMs: busyUs / 1000,
    wallMs: (prof.endTime - prof.startTime) / 1000,
    selfByFunction: top(self),
    inclusiveByFunction: top(inclusive),
    selfBySource: top(bySource),
    inclusiveOwn: top(inclusiveOwn),
    selfByPart: top(byPart),
    longSpans,
  };
}
