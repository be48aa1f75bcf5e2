import { describe, expect, it } from 'vitest';
import { visibilityChecks, type BlockedRuleTraffic, type VisibilityInput } from './visibility';

const base: VisibilityInput = {
  recordingMs: 10 * 60_000,
  routers: ['192.168.0.1'],
  clients: [
    { address: '192.168.0.1', queries: 300, isRouter: true },
    { address: '192.168.0.23', queries: 900, isRouter: false },
  ],
  routerDomains: 4,
  blocked: [],
};

const blocked: BlockedRuleTraffic = {
  rule: 'avira-safethings',
  service: 'Avira SafeThings',
  address: '192.168.0.1',
  blockedAt: 0,
  beforePerHour: 3600,
  afterPerHour: 0,
  afterMs: 5 * 60_000,
  otherBeforePerHour: 60,
  otherAfterPerHour: 600,
};

describe('visibilityChecks', () => {
  it('nothing to say for a router and devices both seen', () => {
    expect(visibilityChecks(base)).toEqual([]);
  });

  it('router-silent: only after 3 minutes, only when a router is known', () => {
    const devicesOnly = { ...base, clients: [base.clients[1]!] };
    expect(visibilityChecks({ ...devicesOnly, recordingMs: 2 * 60_000 })).toEqual([]);
    expect(visibilityChecks(devicesOnly).map((c) => c.code)).toEqual(['router-silent']);
    expect(visibilityChecks({ ...devicesOnly, routers: [] })).toEqual([]);
    expect(visibilityChecks({ ...devicesOnly, clients: [] })[0]!.message).toContain('Nothing has arrived');
  });

  it('router-proxy: every query from the router, for many domains', () => {
    const routerOnly = { ...base, clients: [base.clients[0]!] };
    expect(visibilityChecks({ ...routerOnly, routerDomains: 14 })).toEqual([]);
    const [c] = visibilityChecks({ ...routerOnly, routerDomains: 40 });
    expect(c).toMatchObject({ code: 'router-proxy', severity: 'info', address: '192.168.0.1' });
    expect(c!.message).toContain('DHCP');
  });

  it('blocked-fallback: stopped after the block; says whether other lookups rose', () => {
    const [rose] = visibilityChecks({ ...base, blocked: [blocked] });
    expect(rose!.message).toBe(
      '3,600/h before the block, 0/h after. Its other lookups rose from 60/h to 600/h: it may have switched to another way of reaching the service (such as plain HTTP or a fixed resolver), which DNS cannot show.',
    );
    const [flat] = visibilityChecks({ ...base, blocked: [{ ...blocked, otherAfterPerHour: 61 }] });
    expect(flat!.message).not.toContain('rose');
    // Still asking (a retry storm is not a fallback), too early to say, or never asked before the block.
    expect(visibilityChecks({ ...base, blocked: [{ ...blocked, afterPerHour: 3600 }] })).toEqual([]);
    expect(visibilityChecks({ ...base, blocked: [{ ...blocked, afterMs: 60_000 }] })).toEqual([]);
    expect(visibilityChecks({ ...base, blocked: [{ ...blocked, beforePerHour: 0 }] })).toEqual([]);
  });
});
