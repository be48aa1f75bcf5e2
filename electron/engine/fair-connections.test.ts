import { describe, expect, it } from 'vitest';
import { FairConnections, type ConnectionSlot } from './fair-connections';

/** A slot whose eviction is recorded (and releases itself, as a socket's close handler would). */
function slots(table: FairConnections) {
  const closed: string[] = [];
  const make = (address: string, name: string, busy = false): ConnectionSlot => {
    const s: ConnectionSlot = {
      address,
      busy,
      evict: () => {
        closed.push(name);
        table.release(s);
      },
    };
    return s;
  };
  return { closed, make };
}

describe('FairConnections', () => {
  it('refuses a connection beyond the per-address cap and counts releases', () => {
    const t = new FairConnections(10, 2);
    const { make } = slots(t);
    const a1 = make('a', 'a1');
    expect(t.admit(a1)).toBe(true);
    expect(t.admit(make('a', 'a2'))).toBe(true);
    expect(t.admit(make('a', 'a3'))).toBe(false);
    expect(t.count('a')).toBe(2);
    t.release(a1);
    t.release(a1);
    expect(t.open).toBe(1);
    expect(t.admit(make('a', 'a4'))).toBe(true);
  });

  it('when full, closes an idle connection of the address that holds the most, oldest first', () => {
    const t = new FairConnections(5, 4);
    const { closed, make } = slots(t);
    t.admit(make('x', 'x1', true));
    t.admit(make('x', 'x2'));
    t.admit(make('x', 'x3'));
    t.admit(make('y', 'y1'));
    t.admit(make('y', 'y2'));
    // A newcomer gets in: x (3 connections) gives up its oldest idle one, not its busy one.
    expect(t.admit(make('me', 'me1'))).toBe(true);
    expect(closed).toEqual(['x2']);
    expect(t.open).toBe(5);
    expect(t.evicted).toBe(1);
    // x and y now hold 2 each; the first of them in the table gives way.
    expect(t.admit(make('me', 'me2'))).toBe(true);
    expect(closed).toEqual(['x2', 'x3']);
  });

  it('closes the oldest busy one when the address that holds the most has no idle connection', () => {
    const t = new FairConnections(2, 2);
    const { closed, make } = slots(t);
    t.admit(make('x', 'x1', true));
    t.admit(make('x', 'x2', true));
    expect(t.admit(make('y', 'y1'))).toBe(true);
    expect(closed).toEqual(['x1']);
  });

  it('keeps serving newcomers while many addresses hold every slot', () => {
    const t = new FairConnections(256, 32);
    const { closed, make } = slots(t);
    for (let a = 0; a < 40; a++) for (let i = 0; i < 32; i++) t.admit(make(`10.0.0.${a}`, `${a}-${i}`));
    expect(t.open).toBe(256);
    for (let i = 0; i < 8; i++) expect(t.admit(make('127.0.0.1', `me${i}`))).toBe(true);
    expect(t.count('127.0.0.1')).toBe(8);
    expect(closed).toHaveLength(40 * 32 - 256 + 8);
  });
});
