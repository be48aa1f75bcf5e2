import { describe, expect, it } from 'vitest';
import {
  queryFilterMatcher,
  viewFilterMatcher,
  normalizeName,
  olderPageRequest,
  takeOlder,
  toQueryFilter,
} from './query-filter';
import { queryEvent } from './test-events';

const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

describe('filters', () => {
  it('matches by device and by case-insensitive name substring', () => {
    const e = queryEvent(1, T0, '10.0.0.1', { qname: 'x1.safethings.avira.com' });
    expect(viewFilterMatcher({ client: null, name: '' })(e)).toBe(true);
    expect(viewFilterMatcher({ client: '10.0.0.1', name: ' SafeThings ' })(e)).toBe(true);
    expect(viewFilterMatcher({ client: '10.0.0.2', name: '' })(e)).toBe(false);
    expect(viewFilterMatcher({ client: null, name: 'avira.com.' })(e)).toBe(true);
    expect(viewFilterMatcher({ client: null, name: 'example' })(e)).toBe(false);
    expect(normalizeName(' Example.COM. ')).toBe('example.com');
  });

  it('applies engine filters the way the engine does: time range half-open', () => {
    const e = queryEvent(1, T0, '10.0.0.1', { qname: 'www.example.test' });
    expect(queryFilterMatcher({})(e)).toBe(true);
    expect(queryFilterMatcher({ from: T0, to: T0 + 1 })(e)).toBe(true);
    expect(queryFilterMatcher({ to: T0 })(e)).toBe(false);
    expect(queryFilterMatcher({ from: T0 + 1 })(e)).toBe(false);
    expect(queryFilterMatcher({ client: '10.0.0.2' })(e)).toBe(false);
    expect(queryFilterMatcher({ name: 'EXAMPLE' })(e)).toBe(true);
    expect(queryFilterMatcher({ captureId: 'other' })(e)).toBe(false);
  });

  it('leaves empty parts out of the engine filter', () => {
    expect(toQueryFilter({ client: null, name: '  ' })).toEqual({});
    expect(toQueryFilter({ client: '::1', name: 'Avira' }, { from: 1, to: 2 })).toEqual({
      client: '::1',
      name: 'avira',
      from: 1,
      to: 2,
    });
  });

  it('leaves the end of a live window open: a query answered before the clock ticks into its minute counts', () => {
    const live = { from: T0 - 15 * 60_000, to: T0, live: true };
    expect(toQueryFilter({ client: null, name: 'www' }, live)).toEqual({ name: 'www', from: live.from });
    // What the log matches locally follows: an event at the end of the window is in.
    expect(
      queryFilterMatcher(toQueryFilter({ client: null, name: '' }, live))(
        queryEvent(1, T0 + 500, '10.0.0.1'),
      ),
    ).toBe(true);
    expect(toQueryFilter({ client: null, name: '' }, { ...live, live: false })).toEqual({
      from: live.from,
      to: T0,
    });
  });
});

describe('older pages', () => {
  it('asks for rows up to and including the boundary millisecond and drops those already shown', () => {
    const cursor = { ts: T0, seq: 50, offset: 0 };
    expect(olderPageRequest(cursor, { client: 'a', name: '' }, 500)).toEqual({
      client: 'a',
      to: T0 + 1,
      offset: 0,
      limit: 500,
    });
    const page = {
      total: 100,
      offset: 0,
      limit: 3,
      events: [queryEvent(51, T0), queryEvent(49, T0), queryEvent(40, T0 - 5)],
    };
    const { rows, next } = takeOlder(cursor, page);
    expect(rows.map((e) => e.seq)).toEqual([49, 40]);
    expect(next).toEqual({ ts: T0 - 5, seq: 40, offset: 0 });
  });

  it('skips ahead when a whole page shares the boundary millisecond, and stops at the end', () => {
    const cursor = { ts: T0, seq: 50, offset: 0 };
    const same = { total: 100, offset: 0, limit: 2, events: [queryEvent(52, T0), queryEvent(51, T0)] };
    expect(takeOlder(cursor, same)).toEqual({ rows: [], next: { ts: T0, seq: 50, offset: 2 } });
    const last = { total: 1, offset: 0, limit: 2, events: [queryEvent(3, T0 - 9)] };
    expect(takeOlder(cursor, last).next).toBeNull();
    expect(takeOlder(cursor, { total: 0, offset: 0, limit: 2, events: [] }).next).toBeNull();
  });
});
