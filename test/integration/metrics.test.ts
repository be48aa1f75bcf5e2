/**
 * GET /metrics on the built service: real queries with dig (from three loopback addresses, one of them the
 * router asking for Avira SafeThings), the scraped text checked by Prometheus's own `promtool check metrics`,
 * by its values, and for counters that only grow; the access token guards it like the API.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { startServe, type Served } from '../helpers/serve';
import { dig, requireTool, waitFor } from '../helpers/tools';

const ROUTER = '127.0.0.3';

/** `promtool check metrics` reads the text on its standard input; resolves with its exit code and output. */
function promtool(text: string): Promise<{ code: number; output: string }> {
  requireTool('promtool', 'prometheus');
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(text);
  });
}

/** Sample lines → value, keyed by the line's name and labels as written ("name{a=\"b\"}"). */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** The TYPE of every family. */
function types(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

describe('GET /metrics', () => {
  let upstream: Dnsmasq;
  let served: Served;
  beforeAll(async () => {
    upstream = await startDnsmasq();
    served = await startServe(upstream.port, { args: ['--router', ROUTER] });
  });
  afterAll(async () => {
    await served?.stop();
    await upstream?.stop();
  });

  const scrape = async (): Promise<{ text: string; type: string | null }> => {
    const res = await fetch(`${served.base}/metrics`);
    expect(res.status).toBe(200);
    return { text: await res.text(), type: res.headers.get('content-type') };
  };

  it('counts real queries by device, rule and router, passes promtool, and its counters only grow', async () => {
    for (let i = 0; i < 3; i++) await dig(served.dnsPort, 'www.example.test');
    await dig(served.dnsPort, 'www.example.test', 'A', ['-b', '127.0.0.2']);
    for (let i = 0; i < 2; i++)
      await dig(served.dnsPort, 'dfp-dual.safethings.avira.com', 'A', ['-b', ROUTER]);
    // The records reach the pipeline as they are answered: wait until all six are counted.
    const first = await waitFor(
      async () => {
        const s = await scrape();
        return samples(s.text).get('dnswitness_dns_answered_total') === 6 ? s : undefined;
      },
      5000,
      'six answered queries in /metrics',
    );
    console.log(`/metrics (first lines):\n${first.text.split('\n').slice(0, 40).join('\n')}`);
    expect(first.type).toBe('text/plain; version=0.0.4; charset=utf-8');

    const lint = await promtool(first.text);
    console.log(`promtool check metrics: exit ${lint.code} ${lint.output.trim()}`);
    expect(lint.code, lint.output).toBe(0);

    const v = samples(first.text);
    expect(v.get('dnswitness_queries_total{device="127.0.0.1"}')).toBe(3);
    expect(v.get('dnswitness_queries_total{device="127.0.0.2"}')).toBe(1);
    expect(v.get(`dnswitness_queries_total{device="${ROUTER}"}`)).toBe(2);
    expect(v.get('dnswitness_watch_queries_total{rule="avira-safethings"}')).toBe(2);
    expect(v.get(`dnswitness_router_watch_queries_total{rule="avira-safethings",router="${ROUTER}"}`)).toBe(
      2,
    );
    // Two lookups are too few for a daily rate: the gauge is absent, as the dashboard says "too early to tell".
    expect([...v.keys()].some((k) => k.startsWith('dnswitness_router_watch_rate_per_day{'))).toBe(false);
    const up = `127.0.0.1:${upstream.port}`;
    expect(v.get(`dnswitness_upstream_up{upstream="${up}"}`)).toBe(1);
    expect(v.get(`dnswitness_upstream_answers_total{upstream="${up}"}`)).toBe(6);
    expect(v.get(`dnswitness_upstream_latency_seconds_count{upstream="${up}"}`)).toBe(6);
    expect(v.get(`dnswitness_upstream_latency_seconds_bucket{upstream="${up}",le="+Inf"}`)).toBe(6);
    expect(v.get('dnswitness_dns_queries_total')).toBe(6);
    expect(v.get('dnswitness_journal_records_total')).toBe(6);
    expect(v.get('dnswitness_capture_running')).toBe(1);
    expect(v.get('dnswitness_capture_queries')).toBe(6);
    expect(v.get(`dnswitness_listener_up{address="127.0.0.1:${served.dnsPort}",transport="udp"}`)).toBe(1);

    // More queries, a stopped capture: every counter is the same or higher.
    await fetch(`${served.base}/api/rpc/capture:stop`, { method: 'POST' });
    for (let i = 0; i < 2; i++) await dig(served.dnsPort, 'nothing.example.test');
    const second = await waitFor(
      async () => {
        const s = await scrape();
        return samples(s.text).get('dnswitness_dns_answered_total') === 8 ? s.text : undefined;
      },
      5000,
      'eight answered queries in /metrics',
    );
    const after = samples(second);
    const kinds = types(second);
    const counters = [...v.keys()].filter((k) => {
      const family = /^([a-z_]+?)(_bucket|_sum|_count)?(\{|$)/.exec(k);
      const name = family?.[1] ?? '';
      return kinds.get(name) === 'counter' || kinds.get(name) === 'histogram';
    });
    expect(counters.length).toBeGreaterThan(10);
    for (const k of counters) expect(after.get(k), k).toBeGreaterThanOrEqual(v.get(k)!);
    expect(after.get('dnswitness_queries_total{device="127.0.0.1"}')).toBe(5);
    // Not recorded while no capture runs, but answered and counted.
    expect(after.get('dnswitness_journal_records_total')).toBe(6);
    expect(after.get('dnswitness_capture_running')).toBe(0);
  });

  it('needs the access token when the API does', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'dnsw-metrics-'));
    const guarded = await startServe(upstream.port, { args: ['--token'], dataDir });
    try {
      const token = (await readFile(path.join(dataDir, 'ui-token'), 'utf8')).trim();
      const without = await fetch(`${guarded.base}/metrics`);
      expect(without.status).toBe(401);
      expect(without.headers.get('www-authenticate')).toMatch(/^Bearer/);
      const wrong = await fetch(`${guarded.base}/metrics`, { headers: { authorization: 'Bearer nope' } });
      expect(wrong.status).toBe(401);
      const ok = await fetch(`${guarded.base}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('# TYPE dnswitness_queries_total counter');
    } finally {
      await guarded.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
