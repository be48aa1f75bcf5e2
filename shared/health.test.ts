import { describe, expect, it } from 'vitest';
import type { ListenerStatus, UpstreamStatus } from './events';
import { healthOf, RESTART_NEWS_MS } from './health';

const UDP: ListenerStatus = {
  address: '127.0.0.1',
  port: 53,
  transport: 'udp',
  state: 'listening',
  error: '',
};
const TCP: ListenerStatus = { ...UDP, transport: 'tcp' };
const UP: UpstreamStatus = { address: '1.1.1.1:53', healthy: true, queries: 10, failures: 0, lastError: '' };
const NOW = Date.UTC(2026, 11, 2, 12);
const FINE = { listeners: [UDP, TCP], upstreams: [UP], storage: { error: '', lostRecords: 0 }, now: NOW };

describe('healthOf', () => {
  it('is ok with no problems when DNS is served and recorded', () => {
    expect(healthOf(FINE)).toEqual({ ok: true, problems: [] });
  });

  it('is not ok without a listener or without any upstream that answers', () => {
    const none = healthOf({
      ...FINE,
      listeners: [{ ...UDP, state: 'error', error: 'the port is already in use' }],
    });
    expect(none.ok).toBe(false);
    expect(none.problems.map((p) => p.code)).toEqual(['no-dns-listener', 'listener-failed']);
    expect(none.problems[1]!.message).toBe('127.0.0.1:53 (UDP) is not listening: the port is already in use');
    const down = healthOf({ ...FINE, upstreams: [{ ...UP, healthy: false, lastError: 'timeout' }] });
    expect(down).toEqual({
      ok: false,
      problems: [
        {
          code: 'upstreams-down',
          message: 'No upstream answers (1.1.1.1:53: timeout): clients get SERVFAIL.',
        },
      ],
    });
  });

  it('stays ok but says so when one upstream fails, a listener is lost, or recording fails', () => {
    const h = healthOf({
      listeners: [UDP, { ...TCP, state: 'error', error: 'EACCES' }],
      upstreams: [UP, { ...UP, address: '9.9.9.9:53', healthy: false, lastError: 'REFUSED' }],
      storage: { error: 'the disk is full', lostRecords: 15742 },
      now: NOW,
    });
    expect(h.ok).toBe(true);
    expect(h.problems.map((p) => p.message)).toEqual([
      '127.0.0.1:53 (TCP) is not listening: EACCES',
      'Upstream 9.9.9.9:53 is failing (REFUSED); the others answer.',
      'Queries are answered but cannot be saved: the disk is full. They wait in memory and are written when it works again.',
      '15,742 answered queries could not be saved.',
    ]);
  });

  it('is ok observing through dnstap with no DNS listener, and says when an input fails or drops', () => {
    const dnstapIn = {
      listeners: [
        { target: 'unix:/run/dnsw.sock', state: 'listening' as const, error: '' },
        { target: 'tcp:127.0.0.1:6000', state: 'error' as const, error: 'in use' },
      ],
      peers: 1,
      sources: ['unbound-1 (unbound 1.17.1)'],
      messages: 10,
      records: 5,
      dropped: 1200,
      peersDropped: 0,
    };
    const h = healthOf({ ...FINE, listeners: [], dnstapIn });
    expect(h.ok).toBe(true);
    expect(h.problems.map((p) => p.message)).toEqual([
      'The dnstap input tcp:127.0.0.1:6000 is not listening: in use',
      '1,200 dnstap messages from resolvers were not recorded (more arrived than could be decoded).',
    ]);
    // Nothing to observe and nothing answered: not ok.
    const none = healthOf({ ...FINE, listeners: [], dnstapIn: { ...dnstapIn, listeners: [] } });
    expect(none.ok).toBe(false);
  });

  it('stays ok and names the target when an alert target fails', () => {
    const h = healthOf({
      ...FINE,
      alertsFailing: [{ target: 'ntfy', error: 'https://ntfy.sh/x answered 401' }],
    });
    expect(h).toEqual({
      ok: true,
      problems: [
        {
          code: 'alert-failing',
          message: 'Watchlist alerts do not reach ntfy: https://ntfy.sh/x answered 401',
        },
      ],
    });
  });

  it('names dashboards that fall behind the live stream, and nothing once none does', () => {
    expect(healthOf(FINE, { behind: 0, dropped: 0 })).toEqual({ ok: true, problems: [] });
    const one = healthOf(FINE, { behind: 1, dropped: 12_500 });
    expect(one).toEqual({
      ok: true,
      problems: [
        {
          code: 'events-dropped',
          message:
            'A dashboard falls behind the live stream: 12,500 live queries were not sent to it (they are recorded; reloading the dashboard shows them).',
        },
      ],
    });
    expect(healthOf(FINE, { behind: 2, dropped: 3 }).problems[0]!.message).toMatch(
      /^2 dashboards fall behind the live stream: 3 live queries were not sent to them /,
    );
  });

  it('says the DNS thread was started again and what it dropped, and DNS stays ok', () => {
    expect(
      healthOf({ ...FINE, dnsThread: { restarts: 0, lastCrash: '', lastCrashAt: 0, dropped: 0 } }),
    ).toEqual({
      ok: true,
      problems: [],
    });
    const h = healthOf({
      ...FINE,
      dnsThread: { restarts: 2, lastCrash: 'exit code 70', lastCrashAt: NOW - 12 * 60_000, dropped: 1234 },
    });
    expect(h).toEqual({
      ok: true,
      problems: [
        {
          code: 'dns-thread-restarted',
          message:
            'The DNS thread stopped 2 times and was started again (last: exit code 70, 12 minutes ago).',
        },
        {
          code: 'dns-records-dropped',
          message: '1,234 answered queries were not recorded (the service fell behind the DNS thread).',
        },
      ],
    });
  });

  it('lists a restart of the DNS thread for an hour, then keeps only the count in the status', () => {
    const thread = (ago: number) => ({
      restarts: 1,
      lastCrash: 'exit code 70',
      lastCrashAt: NOW - ago,
      dropped: 0,
    });
    expect(healthOf({ ...FINE, dnsThread: thread(0) }).problems).toEqual([
      {
        code: 'dns-thread-restarted',
        message: 'The DNS thread stopped once and was started again (last: exit code 70, just now).',
      },
    ]);
    expect(healthOf({ ...FINE, dnsThread: thread(RESTART_NEWS_MS - 1) }).problems).toHaveLength(1);
    expect(healthOf({ ...FINE, dnsThread: thread(RESTART_NEWS_MS) })).toEqual({ ok: true, problems: [] });
  });
});
