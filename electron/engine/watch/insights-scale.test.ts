/**
 * The cost of the correlation on a capture of 1,000,000 queries (a day of a busy household with an affected
 * router), measured on the columns the capture store keeps. The figures are printed; the bounds are generous
 * so a loaded machine does not fail the test, but a quadratic step would.
 */
import { expect, it } from 'vitest';
import { seededRandom } from '@shared/watch/correlation';
import type { StoreCursor } from '../capture';
import { EventColumns, type EventFields } from '../capture/columns';
import { tempDir } from '../capture/test-support';
import { InsightsTracker, type InsightSource } from './insights';
import { WatchService } from './watch-service';

const T0 = Date.UTC(2026, 10, 23, 0, 0, 0);
const ROUTER = '192.168.0.1';
const DEVICES = Array.from({ length: 12 }, (_, i) => `192.168.0.${20 + i}`);

/** One capture's columns as the store's scanSince reads them. */
class ColumnsSource implements InsightSource {
  readonly cols = new EventColumns();
  scanSince(cursor: StoreCursor | null, visit: (cols: EventColumns, row: number) => void): StoreCursor {
    for (let row = cursor?.row ?? 0; row < this.cols.length; row++) visit(this.cols, row);
    return { layout: 0, segment: 0, row: this.cols.length };
  }
}

function fields(ts: number, client: string, qname: string, watchRule: string): EventFields {
  return {
    ts,
    client,
    clientPort: 5353,
    transport: 'udp',
    qname,
    qtype: 'A',
    rcode: 'NOERROR',
    answers: '192.0.2.1',
    latencyMs: 3,
    upstream: '1.1.1.1:53',
    size: 60,
    error: '',
    watchRule,
  };
}

it('1,000,000 queries: first summary, cached summary and one after 1,000 more', async () => {
  const { dir, cleanup } = await tempDir('dnsw-scale-');
  try {
    const watch = await WatchService.open({ dataDir: dir });
    const source = new ColumnsSource();
    const r = seededRandom(1);
    let seq = 0;
    let t = T0;
    const add = (ts: number, client: string, qname: string) => {
      const rule = watch.classify(qname).rule;
      source.cols.append(++seq, fields(ts, client, qname, rule), 60);
      watch.observe(ts, client, rule, qname);
    };
    // 24 h: devices ask ~700,000 times (a quarter of them new sites), the router follows each new site
    // with a SafeThings lookup and checks connectivity every 5 s.
    const step = 86_400_000 / 700_000;
    let site = 0;
    while (seq < 1_000_000) {
      t += step;
      const d = Math.floor(r() * DEVICES.length);
      const device = DEVICES[d]!;
      const fresh = r() < 0.03;
      const name = fresh ? `www.s${site++}.example` : `www.s${d}-${Math.floor(r() * 200)}.example`;
      add(t, device, name);
      if (fresh) add(t + 300, ROUTER, `h${site}.safethings.avira.com`);
      if (Math.floor(t / 5000) !== Math.floor((t - step) / 5000)) add(t + 1, ROUTER, 'dns.msftncsi.com');
    }
    const tracker = new InsightsTracker(source, watch);
    const req = {
      routers: [ROUTER],
      clients: [],
      blockedRules: new Map<string, string>(),
      recordingMs: t - T0,
      now: t,
    };
    let started = performance.now();
    tracker.update(req.routers);
    const scanMs = performance.now() - started;
    started = performance.now();
    const first = tracker.insights(req);
    const firstMs = performance.now() - started;
    started = performance.now();
    tracker.insights({ ...req, now: t + 2000 });
    const cachedMs = performance.now() - started;
    for (let i = 0; i < 1000; i++) add(t + i * 10, DEVICES[i % DEVICES.length]!, `www.late${i}.example`);
    started = performance.now();
    tracker.insights({ ...req, now: t + 60_000 });
    const laterMs = performance.now() - started;
    const safe = first.correlation.find((c) => c.rule === 'avira-safethings')!;
    console.log(
      `1,000,000 queries (${safe.lookups} SafeThings lookups, ${safe.newDomains} new-domain lookups): ` +
        `full scan ${scanMs.toFixed(0)} ms, first figures ${firstMs.toFixed(0)} ms, cached ${cachedMs.toFixed(2)} ms, after 1,000 more ${laterMs.toFixed(1)} ms; ` +
        `followed ${(safe.followedShare * 100).toFixed(0)} %, chance ${(safe.chanceShare * 100).toFixed(0)} %`,
    );
    expect(tracker.rowsRead).toBe(1_001_000);
    expect(safe.followedShare).toBe(1);
    expect(scanMs).toBeLessThan(15_000);
    expect(firstMs).toBeLessThan(2_000);
    expect(cachedMs).toBeLessThan(50);
    expect(laterMs).toBeLessThan(2_000);
  } finally {
    await cleanup();
  }
}, 120_000);
