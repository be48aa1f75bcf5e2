import { afterEach, describe, expect, it } from 'vitest';
import { HOUR_MS, isoLocal, localHourOf } from '@shared/time';
import { LocalTimeFormatter } from './local-time';

const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe'];

describe('LocalTimeFormatter', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it.each(ZONES)('matches isoLocal across years, seconds, milliseconds and DST changes in %s', (zone) => {
    // Node applies a changed TZ at once.
    process.env.TZ = zone;
    const f = new LocalTimeFormatter();
    const starts = [
      0,
      1_000,
      Date.UTC(2021, 2, 28, 0, 59, 59, 990), // Europe: clocks forward at 01:00 UTC
      Date.UTC(2026, 9, 25, 0, 59, 59, 995), // Europe: clocks back
      Date.UTC(2026, 2, 8, 6, 59, 59, 990), // US: clocks forward at 07:00 UTC
      Date.UTC(2026, 3, 4, 14, 59, 59, 990), // Lord Howe: back half an hour at 15:00 UTC
      1.7e12,
    ];
    for (const start of starts) {
      for (let ms = start; ms < start + 25; ms++) expect(f.format(ms)).toBe(isoLocal(ms));
      for (let k = 0; k < 50; k++) {
        const ms = start + k * 7_919;
        expect(f.format(ms)).toBe(isoLocal(ms));
      }
    }
  });

  it('handles fractional and unrepresentable instants', () => {
    const f = new LocalTimeFormatter();
    expect(f.format(1.7e12 + 0.5)).toBe(isoLocal(1.7e12 + 0.5));
    expect(f.format(Number.NaN)).toBe('');
    expect(f.format(Number.POSITIVE_INFINITY)).toBe('');
    expect(f.format(9e15)).toBe('');
  });
});

describe('localHourOf', () => {
  const savedTz = process.env.TZ;
  afterEach(() => {
    if (savedTz === undefined) delete process.env.TZ;
    else process.env.TZ = savedTz;
  });

  it.each([
    ['UTC', '2026-12-02T10:00:00.000Z'],
    ['Europe/Berlin', '2026-12-02T11:00:00.000+01:00'],
    ['Asia/Kolkata', '2026-12-02T15:00:00.000+05:30'],
    ['Asia/Kathmandu', '2026-12-02T16:00:00.000+05:45'],
    ['America/St_Johns', '2026-12-02T06:00:00.000-03:30'],
  ])('starts the wall-clock hour in %s', (zone, expected) => {
    // Node applies a changed TZ at once.
    process.env.TZ = zone;
    const t = Date.UTC(2026, 11, 2, 10, 20, 31, 5);
    const h = localHourOf(t);
    expect(isoLocal(h)).toBe(expected);
    expect(h).toBeLessThanOrEqual(t);
    expect(t - h).toBeLessThan(HOUR_MS);
    expect(localHourOf(h)).toBe(h);
  });

  it('steps from hour to hour across a daylight-saving change', () => {
    process.env.TZ = 'Europe/Berlin';
    // Clocks go back at 01:00 UTC on 2026-10-25: 02:00-03:00 local comes twice.
    let h = localHourOf(Date.UTC(2026, 9, 24, 22, 30));
    const seen: string[] = [];
    for (let i = 0; i < 4; i++, h = localHourOf(h + HOUR_MS))
      seen.push(isoLocal(h).slice(11, 16) + isoLocal(h).slice(23));
    expect(seen).toEqual(['00:00+02:00', '01:00+02:00', '02:00+02:00', '02:00+01:00']);
  });
});
