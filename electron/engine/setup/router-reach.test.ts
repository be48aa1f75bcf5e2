import { describe, expect, it } from 'vitest';
import { routerReachResult } from './self-test';

const ROUTER = '192.168.0.1';
const T = Date.UTC(2026, 11, 2, 9, 30, 0);
const isRouter = (a: string) => a === ROUTER;

describe('the self-test’s router line', () => {
  it('says nothing before a router is known or anything was heard', () => {
    expect(routerReachResult([], new Map([['192.168.0.23', T]]), isRouter)).toBeNull();
    expect(routerReachResult([ROUTER], new Map(), isRouter)).toBeNull();
  });

  it('confirms that the router’s own lookups arrive', () => {
    const r = routerReachResult([ROUTER], new Map([[ROUTER, T]]), isRouter);
    expect(r).toMatchObject({ ok: true, address: ROUTER });
    expect(r!.message).toContain('09:30:00 UTC');
  });

  it('warns when devices are heard but never the router, and says what to try', () => {
    const heard = new Map([
      ['192.168.0.23', T],
      ['192.168.0.42', T + 1000],
    ]);
    const r = routerReachResult([ROUTER], heard, isRouter);
    expect(r).toMatchObject({ ok: false, address: ROUTER, port: 53 });
    expect(r!.message).toContain('2 devices arrive');
    expect(r!.message).toContain('hard-coded resolver');
    expect(r!.message).toContain('Internet/WAN DNS');
  });
});
