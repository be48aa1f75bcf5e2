import { describe, expect, it } from 'vitest';
import { lookupRate } from '@shared/watch/lookup-rate';
import type { EngineStatus } from '@shared/events';
import type { ExchangeRecord } from '../capture';
import { METRICS_LIMITS, MetricsService } from './metrics';

function rec(client: string, over: Partial<ExchangeRecord> = {}): ExchangeRecord {
  return {
    ts: 0,
    client,
    clientPort: 5353,
    transport: 'udp',
    qname: 'www.example.test',
    qtype: 'A',
    rcode: 'NOERROR',
    answers: '',
    latencyMs: 12,
    upstream: '9.9.9.9:53',
    size: 60,
    error: '',
    watchRule: '',
    queryWire: new Uint8Array(),
    responseWire: null,
    ...over,
  };
}

const STATUS: EngineStatus = {
  version: '0.1.0',
  capture: { id: 'c1', state: 'running', startedAt: 0, stoppedAt: 0, queries: 0 },
  listeners: [],
  storage: { error: '', lostRecords: 0 },
  upstreams: [],
  counters: {
    queries: 0,
    answered: 0,
    servfail: 0,
    refused: 0,
    malformed: 0,
    unexpectedResponses: 0,
    overload: 0,
    loops: 0,
    inFlight: 0,
  },
  qps: 0,
  warnings: [],
  dataDir: '/tmp/data',
  now: 0,
};

const line = (text: string, start: string) => text.split('\n').find((l) => l.startsWith(start));

describe('MetricsService', () => {
  it('gives the first devices and a late router their own series, the rest "other", for good', () => {
    const m = new MetricsService((a) => a === '10.0.0.1');
    for (let i = 0; i < METRICS_LIMITS.devices + 5; i++) m.record(rec(`10.0.1.${i}`), true);
    m.record(rec('10.0.0.1', { watchRule: 'avira-safethings' }), true);
    m.record(rec('10.0.1.0'), false);
    const text = m.text({ status: STATUS, routerRates: [] });
    expect(line(text, 'dnswitness_queries_total{device="10.0.1.0"}')).toMatch(/ 2$/);
    expect(line(text, 'dnswitness_queries_total{device="other"}')).toMatch(/ 5$/);
    expect(line(text, 'dnswitness_queries_total{device="10.0.0.1"}')).toMatch(/ 1$/);
    expect(line(text, 'dnswitness_router_watch_queries_total{')).toBe(
      'dnswitness_router_watch_queries_total{rule="avira-safethings",router="10.0.0.1"} 1',
    );
    expect(line(text, 'dnswitness_journal_records_total')).toBe(
      `dnswitness_journal_records_total ${METRICS_LIMITS.devices + 6}`,
    );
    expect(
      line(text, 'dnswitness_upstream_latency_seconds_bucket{upstream="9.9.9.9:53",le="0.025"}'),
    ).toMatch(new RegExp(` ${METRICS_LIMITS.devices + 7}$`));
  });

  it("states the router's daily rate only once it is known, and escapes label values", () => {
    const m = new MetricsService(() => true);
    const early = lookupRate([0, 1000], 0);
    const known = lookupRate(
      Array.from({ length: 11 }, (_, i) => i * 60_000),
      0,
    );
    const text = m.text({
      status: STATUS,
      routerRates: [
        { rule: 'a', router: '10.0.0.1', rate: early },
        { rule: 'my "rule"\\x', router: '10.0.0.1', rate: known },
      ],
    });
    expect(text.split('\n').filter((l) => l.startsWith('dnswitness_router_watch_rate_per_day{'))).toEqual([
      'dnswitness_router_watch_rate_per_day{rule="my \\"rule\\"\\\\x",router="10.0.0.1"} 1440',
    ]);
  });
});
