import { describe, expect, it } from 'vitest';
import { Ring } from './ring';
import { queryEvent } from './test-events';
import { addCounts, countNames, countedName, liveNameCounts, shouldFoldLive, topNames } from './top-names';

const events = (names: string[]) => names.map((qname) => ({ qname }));

describe('topNames', () => {
  it('counts exact names, most frequent first, ties by name', () => {
    const counts = countNames(
      events(['b.example', 'a.example', 'b.example', 'c.example', 'a.example', 'b.example']),
    );
    const { rows, distinct } = topNames(counts, false, 2);
    expect(rows).toEqual([
      { name: 'b.example', count: 3 },
      { name: 'a.example', count: 2 },
    ]);
    expect(distinct).toBe(3);
  });

  it('adds further pages to the same counts', () => {
    const counts = countNames(events(['a.example']));
    countNames(events(['a.example', 'b.example']), counts);
    expect([...counts]).toEqual([
      ['a.example', 2],
      ['b.example', 1],
    ]);
  });

  it('groups rotating subdomains under their parent', () => {
    expect(countedName('x1.safethings.avira.com', true)).toBe('*.safethings.avira.com');
    expect(countedName('avira.com', true)).toBe('avira.com');
    expect(countedName('localhost', true)).toBe('localhost');
    expect(countedName('x1.safethings.avira.com', false)).toBe('x1.safethings.avira.com');
    const counts = countNames(
      events(['a1.safethings.avira.com', 'b2.safethings.avira.com', 'www.example.com']),
    );
    expect(topNames(counts, true, 10)).toEqual({
      rows: [
        { name: '*.safethings.avira.com', count: 2 },
        { name: '*.example.com', count: 1 },
      ],
      distinct: 2,
    });
  });
});

describe('liveNameCounts', () => {
  it('counts only matching events newer than the last full count', () => {
    const ring = new Ring<ReturnType<typeof queryEvent>>(10);
    ring.push(queryEvent(1, 1000, 'a', { qname: 'old.example' }));
    ring.push(queryEvent(2, 2000, 'a', { qname: 'new.example' }));
    ring.push(queryEvent(3, 3000, 'b', { qname: 'new.example' }));
    ring.push(queryEvent(4, 9000, 'a', { qname: 'late.example' }));
    const live = liveNameCounts(ring, 1, { client: 'a', to: 5000 });
    expect([...live.counts]).toEqual([['new.example', 1]]);
    expect(live.added).toBe(1);
    expect(live.gap).toBe(false);
    expect([...addCounts(new Map([['new.example', 2]]), live.counts)]).toEqual([['new.example', 3]]);
  });

  it('reports a gap when a full ring no longer reaches back to the last count', () => {
    const ring = new Ring<ReturnType<typeof queryEvent>>(3);
    for (let s = 1; s <= 6; s++) ring.push(queryEvent(s, s * 1000));
    expect(liveNameCounts(ring, 3, {}).gap).toBe(false);
    expect(liveNameCounts(ring, 2, {}).gap).toBe(true);
  });

  it('says what the counts cover, and asks to fold them in before the ring can wrap past them', () => {
    const ring = new Ring<ReturnType<typeof queryEvent>>(10);
    for (let s = 1; s <= 8; s++) ring.push(queryEvent(s, s * 1000));
    expect(liveNameCounts(ring, 2, {}).throughSeq).toBe(8);
    // Half a ring of events since the count: fold now, while all of them are still in the ring.
    expect(shouldFoldLive(ring.size, ring.capacity, 3, 8)).toBe(true);
    expect(shouldFoldLive(ring.size, ring.capacity, 4, 8)).toBe(false);
    expect(shouldFoldLive(0, ring.capacity, 0, 0)).toBe(false);
  });
});
