import { describe, expect, it } from 'vitest';
import {
  formatCount,
  formatDuration,
  formatHostPort,
  formatLatency,
  formatRate,
  formatShare,
} from './format';

// The separators depend on the locale; these tests run under the default (en-US style) Node locale.
describe('format', () => {
  it('puts thousands separators into counts', () => {
    expect(formatCount(80123)).toMatch(/^80.123$/);
    expect(formatCount(12)).toBe('12');
    expect(formatCount(Number.NaN)).toBe('–');
  });

  it('formats rates, shares and latencies compactly', () => {
    expect(formatRate(0.94)).toBe('0.9');
    expect(formatRate(1204.4)).toMatch(/^1.204$/);
    expect(formatShare(1, 4)).toBe('25.0 %');
    expect(formatShare(1, 10_000)).toBe('<0.1 %');
    expect(formatShare(1, 0)).toBe('–');
    expect(formatLatency(0.42)).toBe('0.4 ms');
    expect(formatLatency(12.6)).toBe('13 ms');
    expect(formatLatency(1234)).toBe('1.2 s');
  });

  it('formats durations from seconds to days', () => {
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(5 * 60_000 + 3_000)).toBe('5 min 03 s');
    expect(formatDuration(2 * 3_600_000 + 7 * 60_000)).toBe('2 h 07 min');
    expect(formatDuration(76 * 3_600_000)).toBe('3 d 4 h');
  });

  it('brackets IPv6 hosts', () => {
    expect(formatHostPort('::1', 53)).toBe('[::1]:53');
    expect(formatHostPort('127.0.0.1', 5353)).toBe('127.0.0.1:5353');
  });
});
