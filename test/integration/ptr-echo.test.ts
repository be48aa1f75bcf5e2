/**
 * A router that uses DNS Witness as its resolver sends our own reverse lookups back to us. The engine must
 * answer them but not record them as the router's queries. Real pieces throughout: the engine on a test LAN
 * made of network namespaces, a "router" namespace whose dnsmasq forwards everything to the engine, and a
 * dnsmasq upstream on loopback that knows the desktop's PTR record.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reverseName } from '../../electron/engine/devices';
import { PTR_ECHO_GRACE_MS } from '../../electron/engine/devices/reverse-dns';
import { defaultEngineOptions, Engine } from '../../electron/engine/engine';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { createLab, startHostDnsmasq, type HostDnsmasq, type Lab, type LabHost } from '../helpers/netns';
import { requireTool, waitFor } from '../helpers/tools';

let lab: Lab;
let desktop: LabHost;
let router: LabHost;
let upstream: Dnsmasq;
let engine: Engine;
let port = 0;
let routerDns: HostDnsmasq | null = null;
let dataDir = '';

beforeAll(async () => {
  requireTool('dig', 'bind9-dnsutils');
  dataDir = await mkdtemp(join(tmpdir(), 'dnsw-ptr-echo-'));
  lab = await createLab([
    { name: 'desktop', mac: '00:1b:21:0a:0b:0c' },
    { name: 'router', mac: 'f4:f2:6d:12:34:56' },
  ]);
  [desktop, router] = lab.hosts as [LabHost, LabHost];
  upstream = await startDnsmasq([`--ptr-record=${reverseName(desktop.ipv4)},desktop.lan`]);
  engine = await Engine.open(
    defaultEngineOptions({
      listen: [{ host: lab.ipv4, port: 0 }],
      upstreams: [{ host: '127.0.0.1', port: upstream.port }],
      dataDir,
      routers: [router.ipv4],
    }),
    // This computer's real gateway must not be asked anything.
    { devices: { detectGateways: false } },
  );
  const listening = (await engine.listen()).find((l) => l.transport === 'udp' && l.state === 'listening');
  if (!listening) throw new Error('the engine did not listen on the test LAN');
  port = listening.port;
  // The router's DNS forwards every query, reverse lookups of private addresses included, to the engine.
  routerDns = await startHostDnsmasq(lab, router, ['--cache-size=0', `--server=${lab.ipv4}#${port}`]);
});

afterAll(async () => {
  await routerDns?.stop();
  await engine?.close();
  await upstream?.stop();
  await lab?.destroy();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** dig from inside a test host to the engine; returns the short answer. */
async function ask(host: LabHost, args: readonly string[]): Promise<string> {
  const r = await lab.exec(host, 'dig', [
    `@${lab.ipv4}`,
    '-p',
    String(port),
    '+tries=2',
    '+time=2',
    '+short',
    ...args,
  ]);
  if (r.code !== 0) throw new Error(`dig from ${host.name} failed: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

const recorded = async () => (await engine.queries({ limit: 1000 })).events;

describe('our reverse lookups echoed by the router', () => {
  it('are answered but not recorded as the router’s queries', async () => {
    expect(await ask(desktop, ['www.example.test'])).toBe('192.0.2.10');
    // The engine asks the router for the desktop's name; the router asks the engine; the upstream knows it.
    await waitFor(
      () => (engine.device(desktop.ipv4).hostname === 'desktop.lan' ? true : undefined),
      8000,
      'the desktop hostname through the router',
    );
    expect(engine.device(router.ipv4).isRouter).toBe(true);
    // The forwarder answered the echo (it counts every query), but the capture has only the desktop's.
    expect(engine.status().counters.queries).toBe(2);
    expect((await recorded()).map((e) => [e.client, e.qname, e.qtype])).toEqual([
      [desktop.ipv4, 'www.example.test', 'A'],
    ]);
  });

  it('a reverse lookup the router makes on its own is recorded', async () => {
    // Once our lookup is over (plus the grace for a late echo), the same name from the router is its own.
    await new Promise((resolve) => setTimeout(resolve, PTR_ECHO_GRACE_MS + 200));
    expect(await ask(router, ['-x', desktop.ipv4])).toBe('desktop.lan.');
    await waitFor(
      async () => ((await recorded()).some((e) => e.client === router.ipv4) ? true : undefined),
      3000,
      'the router query in the capture',
    );
    const fromRouter = (await recorded()).filter((e) => e.client === router.ipv4);
    expect(fromRouter.map((e) => [e.qname, e.qtype, e.answers])).toEqual([
      [reverseName(desktop.ipv4), 'PTR', 'PTR desktop.lan'],
    ]);
    // The router is now a device too: our lookup of its own name went through it and was not recorded.
    await waitFor(
      () => (engine.status().counters.queries >= 4 ? true : undefined),
      8000,
      'the lookup of the router’s name',
    );
    expect((await recorded()).filter((e) => e.qname === reverseName(router.ipv4))).toEqual([]);
  });
});
