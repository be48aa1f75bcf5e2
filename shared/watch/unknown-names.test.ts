import { describe, expect, it } from 'vitest';
import { isSuggestable, MAX_UNKNOWN_NAMES, suggestRuleExport, UnknownNames } from './unknown-names';

const T0 = Date.UTC(2026, 11, 2, 9, 0, 0);

describe('the router’s unknown names', () => {
  it('counts each name with first and last time, most asked first', () => {
    const u = new UnknownNames();
    u.add('a.example.com', T0 + 5000);
    u.add('b.example.net', T0 + 1000);
    u.add('a.example.com', T0 + 1000);
    u.add('a.example.com', T0 + 9000);
    expect(u.list()).toEqual([
      { name: 'a.example.com', count: 3, firstTs: T0 + 1000, lastTs: T0 + 9000 },
      { name: 'b.example.net', count: 1, firstTs: T0 + 1000, lastTs: T0 + 1000 },
    ]);
  });

  it('leaves out reverse lookups and local names, which name devices and addresses', () => {
    for (const n of ['1.0.168.192.in-addr.arpa', 'annas-iphone.lan', 'nas.local', 'printer', 'router.home'])
      expect(isSuggestable(n)).toBe(false);
    expect(isSuggestable('n-devs.tplinkcloud.com')).toBe(true);
    const u = new UnknownNames();
    u.add('annas-iphone.lan', T0);
    expect(u.list()).toEqual([]);
  });

  it('stays bounded', () => {
    const u = new UnknownNames();
    for (let i = 0; i < MAX_UNKNOWN_NAMES + 3; i++) u.add(`n${i}.example.com`, T0);
    expect(u.list(MAX_UNKNOWN_NAMES + 10)).toHaveLength(MAX_UNKNOWN_NAMES);
    expect(u.dropped).toBe(3);
  });

  it('exports names and counts only: no address, device name or time', () => {
    const text = suggestRuleExport(
      [
        { name: 'x.example.com', count: 42, firstTs: T0, lastTs: T0 + 1 },
        { name: 'annas-iphone.lan', count: 3, firstTs: T0, lastTs: T0 },
      ],
      'Archer AX55 v1',
    );
    const json = JSON.parse(text) as { names: unknown[]; router_model: string };
    expect(json.names).toEqual([{ name: 'x.example.com', count: 42 }]);
    expect(json.router_model).toBe('Archer AX55 v1');
    expect(text).not.toContain(String(T0));
    expect(text).not.toContain('annas-iphone');
    expect(text).not.toMatch(/\d+\.\d+\.\d+\.\d+/);
  });
});
