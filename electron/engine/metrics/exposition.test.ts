import { describe, expect, it } from 'vitest';
import { BoundedCounters, BoundedHistograms, CarriedTotals, OTHER } from './counters';
import { escapeLabelValue, Exposition, formatValue } from './exposition';

describe('exposition', () => {
  it('escapes backslash, double quote and line feed in label values, and only those', () => {
    expect(escapeLabelValue('a\\b"c\nd\te')).toBe('a\\\\b\\"c\\nd\te');
  });

  it('writes HELP and TYPE once per family, samples with labels, and a final line feed', () => {
    const text = new Exposition()
      .counter('x_total', 'Line one\nline two \\ done.', [{ labels: { rule: 'r"1' }, value: 3 }])
      .gauge('y', 'A gauge.', [{ value: Number.NaN }, { labels: { a: 'b' }, value: Infinity }])
      .text();
    expect(text).toBe(
      [
        '# HELP x_total Line one\\nline two \\\\ done.',
        '# TYPE x_total counter',
        'x_total{rule="r\\"1"} 3',
        '# HELP y A gauge.',
        '# TYPE y gauge',
        'y NaN',
        'y{a="b"} +Inf',
        '',
      ].join('\n'),
    );
  });

  it('writes a histogram with cumulative buckets, +Inf, sum and count', () => {
    const h = new BoundedHistograms([0.1, 1], 4);
    for (const v of [0.05, 0.1, 0.5, 3]) h.observe('up', v);
    const text = new Exposition().histogram('lat_seconds', 'Latency.', h.samples('upstream')).text();
    expect(text.split('\n').slice(2, -1)).toEqual([
      'lat_seconds_bucket{upstream="up",le="0.1"} 2',
      'lat_seconds_bucket{upstream="up",le="1"} 3',
      'lat_seconds_bucket{upstream="up",le="+Inf"} 4',
      'lat_seconds_sum{upstream="up"} 3.65',
      'lat_seconds_count{upstream="up"} 4',
    ]);
    expect(formatValue(-Infinity)).toBe('-Inf');
  });
});

describe('bounded series', () => {
  it('gives the first keys their own series for good and counts the rest under "other"', () => {
    const c = new BoundedCounters(2, 1);
    for (const k of ['a', 'b', 'c', 'a', 'c']) c.add(k);
    // A priority key (a router) still gets one of the extra series; a second one does not.
    c.add('router', 5, () => true);
    c.add('router2', 1, () => true);
    expect(c.samples((k) => ({ k }), { k: OTHER })).toEqual([
      { labels: { k: 'a' }, value: 2 },
      { labels: { k: 'b' }, value: 1 },
      { labels: { k: 'router' }, value: 5 },
      { labels: { k: OTHER }, value: 3 },
    ]);
  });

  it('bounds histograms the same way', () => {
    const h = new BoundedHistograms([1], 1);
    h.observe('a', 0.5);
    h.observe('b', 0.5);
    h.observe('c', 2);
    expect(h.samples('u').map((s) => [s.labels?.u, [...(s.buckets as Float64Array)]])).toEqual([
      ['a', [1, 0]],
      [OTHER, [1, 1]],
    ]);
  });

  it('carries a counter on across a restart from zero', () => {
    const t = new CarriedTotals();
    expect(t.total('x', 5)).toBe(5);
    expect(t.total('x', 7)).toBe(7);
    expect(t.total('x', 2)).toBe(9);
    expect(t.total('x', 4)).toBe(11);
  });
});
