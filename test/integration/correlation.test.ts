/**
 * The correlation end to end: two test hosts in network namespaces send real queries to the built headless
 * service. The "device" looks up a fresh name every few seconds (and re-asks an old one, which is not new);
 * the "router" (--router) follows each fresh name 0.2–1 s later with a SafeThings lookup, the way TP-Link
 * HomeShield is thought to ask Avira's cloud about the sites devices visit. /api/summary must show that most
 * router lookups followed a new-domain lookup and that chance would give far fewer. The test upstream answers
 * both names locally; traffic stays in the namespaces and on loopback.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { createLab, type Lab, type LabHost } from '../helpers/netns';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { freePort, requireTool, waitFor } from '../helpers/tools';

/** Fresh names the device looks up; each followed by one router lookup. */
const ROUNDS = 12;
/** One round every this many ms: sparse enough that chance alignment stays well below the real one. */
const ROUND_MS = 6500;
/** The window asked for in /api/summary: the router's 0.2–1 s lag plus dig's start-up fits in it. */
const WINDOW_S = 1.5;

let lab: Lab;
let upstream: Dnsmasq;
let served: Served;
let device: LabHost;
let router: LabHost;
let dnsPort = 0;

interface SummaryCorrelation {
  window_s: number;
  lookups: number;
  followed: number;
  followed_share: number;
  chance_share: number;
  p_value: number;
  new_domains: number;
  verdict: string;
  via_router: boolean;
  sentence: string;
  devices: {
    address: string;
    new_domains: number;
    followed: number;
    followed_share: number;
    attributed: number;
  }[];
}

interface Summary {
  watchlist: { rule: string; router_queries: number; correlation: SummaryCorrelation | null }[];
  lookup_shape: { domain: string; rule: string; queries: number; distinct_names: number }[];
  visibility: { code: string }[];
}

async function summary(query = ''): Promise<Summary> {
  const res = await fetch(`${served.base}/api/summary${query}`);
  if (res.status !== 200) throw new Error(`/api/summary${query}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Summary;
}

async function ask(host: LabHost, name: string): Promise<string> {
  const r = await lab.exec(host, 'dig', [
    `@${lab.ipv4}`,
    '-p',
    String(dnsPort),
    '+tries=2',
    '+time=2',
    '+short',
    name,
  ]);
  if (r.code !== 0) throw new Error(`dig ${name} from ${host.name} failed: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

beforeAll(async () => {
  requireTool('dig', 'bind9-dnsutils');
  lab = await createLab([
    { name: 'device', mac: '00:1b:21:0a:0b:0d' },
    { name: 'router', mac: 'f4:f2:6d:12:34:57' },
  ]);
  [device, router] = lab.hosts as [LabHost, LabHost];
  upstream = await startDnsmasq();
  dnsPort = await freePort();
  served = await startServe(upstream.port, {
    args: ['--listen', `${lab.ipv4}:${dnsPort}`, '--router', router.ipv4],
  });
}, 60_000);

afterAll(async () => {
  await served?.stop();
  await upstream?.stop();
  await lab?.destroy();
  if (served) await removeDir(served.dataDir);
});

describe('router lookups that follow a device’s browsing', () => {
  it('show a high followed share and a low chance share in /api/summary', async () => {
    // Neighbour discovery first, with a reverse lookup (never a "new site"), so round one is on time.
    for (const host of [device, router]) {
      const args = [`@${lab.ipv4}`, '-p', String(dnsPort), '+tries=3', '+time=2', '-x', '192.0.2.1'];
      expect((await lab.exec(host, 'dig', args)).code).toBe(0);
    }
    const tag = randomBytes(3).toString('hex');
    const start = Date.now();
    const lags: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      // Rounds are jittered: a strictly periodic device would line up with shifted copies of the router too.
      await sleep(start + i * ROUND_MS + Math.random() * 1500 - Date.now());
      const asked = Date.now();
      expect(await ask(device, `site${i}-${tag}.wild.example.test`)).toBe('192.0.2.99');
      // The router follows 0.2–1 s after the device's query arrived.
      await sleep(asked + 200 + Math.random() * 800 - Date.now());
      lags.push(Date.now() - asked);
      expect(await ask(router, `${randomBytes(8).toString('hex')}.safethings.avira.com`)).toBe('192.0.2.78');
      // Before the next round the device re-asks a name it knows: not a new site, never followed.
      await sleep(asked + 2500 - Date.now());
      await ask(device, `site${Math.max(0, i - 1)}-${tag}.wild.example.test`);
    }
    console.log(`router lag after the device: ${Math.min(...lags)}–${Math.max(...lags)} ms`);

    const s = await waitFor(
      async () => {
        const sum = await summary(`?window_s=${WINDOW_S}`);
        const row = sum.watchlist.find((r) => r.rule === 'avira-safethings');
        return row?.correlation && row.correlation.lookups === ROUNDS ? sum : undefined;
      },
      10_000,
      'the SafeThings correlation in /api/summary',
    );
    const c = s.watchlist.find((r) => r.rule === 'avira-safethings')!.correlation!;
    console.log(`window ${WINDOW_S} s: ${c.sentence}; p=${c.p_value}; ${c.verdict}`);
    expect(c.window_s).toBe(WINDOW_S);
    expect(c.lookups).toBe(ROUNDS);
    // Every fresh name was new; the re-asked ones were not.
    expect(c.new_domains).toBe(ROUNDS);
    expect(c.followed_share).toBeGreaterThanOrEqual(0.9);
    expect(c.chance_share).toBeLessThan(0.4);
    expect(c.followed_share - c.chance_share).toBeGreaterThan(0.5);
    expect(c.verdict).toBe('tracks-browsing');
    expect(c.via_router).toBe(false);
    expect(c.sentence).toMatch(
      /^\d+ % of your router’s Avira SafeThings lookups came within 1\.5 s of a device/,
    );
    expect(c.devices[0]).toMatchObject({ address: device.ipv4, new_domains: ROUNDS });
    expect(c.devices[0]!.followed_share).toBeGreaterThanOrEqual(0.9);

    // The default window (3 s) also finds them; the lookup shape counts one distinct name per lookup.
    const d = (await summary()).watchlist.find((r) => r.rule === 'avira-safethings')!.correlation!;
    console.log(`default window: ${d.sentence}`);
    expect(d.window_s).toBe(3);
    expect(d.followed_share).toBeGreaterThanOrEqual(0.9);
    expect(d.chance_share).toBeLessThan(d.followed_share);
    const shape = s.lookup_shape.find((x) => x.domain === 'avira.com');
    expect(shape).toMatchObject({ rule: 'avira-safethings', queries: ROUNDS, distinct_names: ROUNDS });
    expect(s.visibility).toEqual([]);
  }, 150_000);

  it('refuses a bad window with a clear message', async () => {
    const res = await fetch(`${served.base}/api/summary?window_s=abc`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('window_s must be a number of seconds');
    const big = await fetch(`${served.base}/api/summary?window_s=600`);
    expect(((await big.json()) as { error: string }).error).toBe('window_s must be at most 60');
  });
});
