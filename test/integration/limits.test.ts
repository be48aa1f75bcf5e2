/**
 * Clients that open many streams and flood the API share the service's event loop with the DNS forwarder:
 * the caps and rate limits must keep dig getting answers all along. Loopback only, bounded loops.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { removeDir, startServe, type Served } from '../helpers/serve';
import { dig, run } from '../helpers/tools';

/** The costliest requests the API answers: method, path, body. */
const HEAVY: [string, string, string | undefined][] = [
  ['GET', '/api/queries?limit=1000', undefined],
  ['GET', '/api/summary', undefined],
  ['POST', '/api/rpc/capture:snapshot', JSON.stringify({ args: { rangeMinutes: 60 } })],
];

/** Opens a stream from `localAddress`; resolves with the open socket or the refusal's status code. */
function openStream(port: number, localAddress: string): Promise<WebSocket | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/stream`, { localAddress, handshakeTimeout: 5000 });
    ws.on('open', () => resolve(ws));
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      ws.terminate();
      resolve(res.statusCode ?? 0);
    });
    ws.on('error', () => resolve(-1));
  });
}

/** Retry-After values of the refusals `flood` saw. */
const retryAfter = new Set<string>();

/** Sends `count` requests from `localAddress`, `parallel` at a time; returns how many got each status. */
async function flood(
  port: number,
  localAddress: string,
  count: number,
  parallel: number,
  targets: [string, string, string | undefined][] = HEAVY,
): Promise<Map<number, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: parallel, localAddress });
  const statuses = new Map<number, number>();
  let next = 0;
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const [method, path, body] = targets[i % targets.length]!;
      const req = http.request({ host: '127.0.0.1', port, method, path, agent }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 429 || res.statusCode === 503)
            retryAfter.add(String(res.headers['retry-after']));
          statuses.set(res.statusCode ?? 0, (statuses.get(res.statusCode ?? 0) ?? 0) + 1);
          resolve();
        });
      });
      req.on('error', () => {
        statuses.set(-1, (statuses.get(-1) ?? 0) + 1);
        resolve();
      });
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await one(next++);
    }),
  );
  agent.destroy();
  return statuses;
}

describe('serve under a flood of streams and requests', () => {
  let upstream: Dnsmasq;
  let served: Served;

  beforeAll(async () => {
    upstream = await startDnsmasq();
    served = await startServe(upstream.port);
    // Enough captured queries that a 1000-row page and a snapshot cost real work.
    const names = Array.from({ length: 1500 }, (_, i) => `n${i}.example.test A`).join('\n');
    const r = await run('sh', [
      '-c',
      `printf '%s\\n' "$0" | dig @127.0.0.1 -p ${served.dnsPort} +tries=1 +time=3 +short -f -`,
      names,
    ]);
    expect(r.code).toBe(0);
  }, 60_000);
  afterAll(async () => {
    await served?.stop();
    await upstream?.stop();
    if (served) await removeDir(served.dataDir);
  });

  it('caps streams per address and in total, rate-limits requests, and DNS keeps answering', async () => {
    const port = served.uiPort;
    const timeDigs = async (label: string, keepGoing: () => boolean, max: number) => {
      const out: { ok: boolean; ms: number }[] = [];
      for (let i = 0; keepGoing() && i < max; i++) {
        const t0 = performance.now();
        const r = await dig(served.dnsPort, `${label}${i}.example.test`, 'A', ['-b', '127.0.0.5']);
        out.push({ ok: /status: (NOERROR|NXDOMAIN)/.test(r.stdout), ms: performance.now() - t0 });
      }
      return out;
    };
    const describeTimes = (answers: { ms: number }[]) => {
      const t = answers.map((a) => a.ms).sort((a, b) => a - b);
      return `median ${t[Math.floor(t.length / 2)]?.toFixed(0)} ms, max ${t.at(-1)?.toFixed(0)} ms`;
    };
    const quiet = await timeDigs('quiet', () => true, 20);
    // Ten streams from each of six addresses: 8 per address, 32 in all.
    const attempts = await Promise.all(
      Array.from({ length: 60 }, (_, i) => openStream(port, `127.0.1.${1 + Math.floor(i / 10)}`)),
    );
    const open = attempts.filter((a): a is WebSocket => typeof a !== 'number');
    const refused = attempts.filter((a) => a === 503).length;
    expect(open.length).toBe(32);
    expect(refused).toBe(28);

    // While the flood runs, query the forwarder one dig after another and time each answer.
    let flooding = true;
    const digger = timeDigs('during', () => flooding, 500);
    const started = performance.now();
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => flood(port, `127.0.2.${1 + i}`, 400, 16)),
    );
    const floodMs = performance.now() - started;
    flooding = false;
    const answers = await digger;
    for (const ws of open) ws.terminate();

    const total = new Map<number, number>();
    for (const r of results) for (const [s, n] of r) total.set(s, (total.get(s) ?? 0) + n);
    console.log(
      `flood: 3200 requests from 8 addresses in ${floodMs.toFixed(0)} ms, statuses ${JSON.stringify([...total])}; ` +
        `${answers.length} digs meanwhile: ${describeTimes(answers)} (before the flood: ${describeTimes(quiet)})`,
    );
    // Served, or refused at once as too many (429) or over the API's share of the event loop (503).
    expect([...total.keys()].filter((s) => s !== 200 && s !== 429 && s !== 503)).toEqual([]);
    expect((total.get(429) ?? 0) + (total.get(503) ?? 0)).toBeGreaterThan(0);
    expect(total.get(200) ?? 0).toBeGreaterThan(0);
    expect(answers.length).toBeGreaterThanOrEqual(5);
    expect(answers.filter((a) => !a.ok)).toEqual([]);

    // Streams closed free their slots: a new one opens.
    const after = await openStream(port, '127.0.1.1');
    expect(typeof after).not.toBe('number');
    (after as WebSocket).close();
  }, 120_000);

  it('answers a client over its request rate with 429 and Retry-After, others still served', async () => {
    const port = served.uiPort;
    retryAfter.clear();
    // /api/health is cheap and outside the work budget, so only the per-address rate can refuse it.
    const statuses = await flood(port, '127.0.3.1', 500, 32, [['GET', '/api/health', undefined]]);
    console.log(`burst: 500 requests from one address, statuses ${JSON.stringify([...statuses])}`);
    expect([...statuses.keys()].sort()).toEqual([200, 429]);
    expect(statuses.get(200) ?? 0).toBeGreaterThanOrEqual(200);
    expect([...retryAfter]).toEqual(['1']);
    const other = await fetch(`http://127.0.0.1:${port}/api/health`);
    expect(other.status).toBe(200);
  }, 60_000);
});
