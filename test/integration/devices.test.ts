/**
 * Devices on a real (virtual) LAN: test hosts in network namespaces with MACs the test sets send queries
 * through the forwarder; the registry, fed with the recorded client addresses, reads this computer's real
 * neighbour table and finds their MACs and vendors. A third host plays the router and answers reverse DNS
 * with dnsmasq. Traffic stays between the namespaces the test creates and loopback.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceInfo } from '@shared/events';
import { DeviceRegistry } from '../../electron/engine/devices';
import { reverseName } from '../../electron/engine/devices/address';
import {
  parseIpRouteDefault,
  parseProcIpv6Route,
  parseProcNetRoute,
} from '../../electron/engine/devices/gateways';
import { parseIpNeigh, parseProcArp } from '../../electron/engine/devices/neighbours';
import { startDnsmasq, type Dnsmasq } from '../helpers/dnsmasq';
import { startForwarder, type RunningForwarder } from '../helpers/forwarder';
import { createLab, startHostDnsmasq, type HostDnsmasq, type Lab, type LabHost } from '../helpers/netns';
import { requireTool, waitFor } from '../helpers/tools';

const INTEL = '00:1b:21:0a:0b:0c';
const PRIVATE = '02:5e:e1:3a:77:10';
const TPLINK = 'f4:f2:6d:12:34:56';

let lab: Lab;
let upstream: Dnsmasq;
let fwd4: RunningForwarder;
let fwd6: RunningForwarder;
let dataDir = '';
let desktop: LabHost;
let phone: LabHost;
let router: LabHost;

beforeAll(async () => {
  requireTool('dig', 'bind9-dnsutils');
  dataDir = await mkdtemp(join(tmpdir(), 'dnsw-devices-'));
  lab = await createLab([
    { name: 'desktop', mac: INTEL },
    { name: 'phone', mac: PRIVATE },
    { name: 'router', mac: TPLINK },
  ]);
  [desktop, phone, router] = lab.hosts as [LabHost, LabHost, LabHost];
  upstream = await startDnsmasq();
  const up = [{ host: '127.0.0.1', port: upstream.port }];
  fwd4 = await startForwarder(up, { host: lab.ipv4 });
  fwd6 = await startForwarder(up, { host: lab.ipv6 });
});

afterAll(async () => {
  await fwd4?.close();
  await fwd6?.close();
  await upstream?.stop();
  await lab?.destroy();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** dig from inside a test host to this computer's forwarder; returns the short answer. */
async function ask(host: LabHost, family: 4 | 6, name = 'www.example.test'): Promise<string> {
  const [server, port] = family === 4 ? [lab.ipv4, fwd4.port] : [lab.ipv6, fwd6.port];
  const r = await lab.exec(host, 'dig', [
    `@${server}`,
    '-p',
    String(port),
    '+tries=2',
    '+time=2',
    '+short',
    name,
  ]);
  if (r.code !== 0) throw new Error(`dig from ${host.name} failed: ${r.stdout}${r.stderr}`);
  return r.stdout.trim();
}

/** What the engine will do: every recorded query's client goes through observe(). */
function feed(registry: DeviceRegistry): void {
  for (const rec of [...fwd4.sink.records, ...fwd6.sink.records]) registry.observe(rec.client);
}

const withMac = (registry: DeviceRegistry, address: string) =>
  waitFor(
    () => {
      const d = registry.all().find((x) => x.address === address);
      return d?.mac ? d : undefined;
    },
    8000,
    `a MAC for ${address}`,
  );

describe('two test hosts behind the forwarder', () => {
  let registry: DeviceRegistry;
  const warnings: string[] = [];
  const announced: DeviceInfo[] = [];

  beforeAll(async () => {
    // No gateway detection: this computer's real router must not be asked anything.
    registry = await DeviceRegistry.open({
      dataDir,
      routers: [],
      detectGateways: false,
      onWarning: (m) => warnings.push(m),
    });
    registry.onChange((d) => announced.push(d));
  });
  afterAll(() => registry?.close());

  it('are two devices with their real MACs, vendor and private flag', async () => {
    expect(await ask(desktop, 4)).toBe('192.0.2.10');
    expect(await ask(phone, 4)).toBe('192.0.2.10');
    expect(fwd4.sink.records.map((r) => r.client).sort()).toEqual([desktop.ipv4, phone.ipv4].sort());
    feed(registry);

    expect(await withMac(registry, desktop.ipv4)).toEqual({
      address: desktop.ipv4,
      mac: INTEL,
      vendor: 'Intel Corporate',
      privateMac: false,
      hostname: '',
      name: '',
      isRouter: false,
    });
    expect(await withMac(registry, phone.ipv4)).toMatchObject({ mac: PRIVATE, vendor: '', privateMac: true });
    expect(
      registry
        .all()
        .map((d) => d.address)
        .sort(),
    ).toEqual([desktop.ipv4, phone.ipv4].sort());
    expect(announced.filter((d) => d.address === desktop.ipv4).length).toBeGreaterThanOrEqual(1);
    expect(warnings).toEqual([]);
  });

  it('over IPv6 the same device shows the same MAC (NDP table)', async () => {
    expect(await ask(desktop, 6)).toBe('192.0.2.10');
    feed(registry);
    expect(await withMac(registry, desktop.ipv6)).toMatchObject({ mac: INTEL, vendor: 'Intel Corporate' });
  });

  it('a name given to the device survives a restart, keyed by its MAC', async () => {
    await registry.rename(phone.ipv4, 'Anna’s phone');
    await registry.close();
    registry = await DeviceRegistry.open({ dataDir, routers: [], detectGateways: false });
    const saved = JSON.parse(await readFile(join(dataDir, 'devices.json'), 'utf8')) as unknown;
    expect(saved).toEqual({ version: 1, byMac: { [PRIVATE]: 'Anna’s phone' }, byAddress: {} });
    feed(registry);
    expect(await withMac(registry, phone.ipv4)).toMatchObject({ name: 'Anna’s phone' });
  });

  it("the parsers read this kernel's own tables", async () => {
    // Root namespace: /proc/net/arp and `ip neigh` hold the test hosts.
    const arp = parseProcArp(await readFile('/proc/net/arp', 'utf8'));
    expect(arp).toContainEqual({ address: desktop.ipv4, mac: INTEL, iface: lab.bridge });
    // Inside a host: its neighbour entry for this computer, and its default routes through it.
    const bridgeMac = (await readFile(`/sys/class/net/${lab.bridge}/address`, 'utf8')).trim();
    const neigh = parseIpNeigh((await lab.exec(desktop, 'ip', ['neigh', 'show'])).stdout);
    expect(neigh).toContainEqual({ address: lab.ipv4, mac: bridgeMac, iface: desktop.iface });
    expect(neigh).toContainEqual({ address: lab.ipv6, mac: bridgeMac, iface: desktop.iface });
    await lab.exec(desktop, 'ip', ['route', 'add', 'default', 'via', lab.ipv4]);
    await lab.exec(desktop, 'ip', ['-6', 'route', 'add', 'default', 'via', lab.ipv6]);
    expect(parseProcNetRoute((await lab.exec(desktop, 'cat', ['/proc/net/route'])).stdout)).toEqual([
      lab.ipv4,
    ]);
    expect(
      parseIpRouteDefault((await lab.exec(desktop, 'ip', ['-6', 'route', 'show', 'default'])).stdout),
    ).toEqual([lab.ipv6]);
    expect(parseProcIpv6Route((await lab.exec(desktop, 'cat', ['/proc/net/ipv6_route'])).stdout)).toEqual([
      lab.ipv6,
    ]);
  });
});

describe('hostnames from the router', () => {
  let routerDns: HostDnsmasq | null = null;
  let registry: DeviceRegistry;
  const warnings: string[] = [];

  beforeAll(async () => {
    // The router's DNS server knows its DHCP clients' names, here as PTR records. It answers only them.
    routerDns = await startHostDnsmasq(
      lab,
      router,
      [
        '--local-ttl=600',
        '--bogus-priv',
        `--ptr-record=${reverseName(desktop.ipv4)},desktop.lan`,
        `--ptr-record=${reverseName(desktop.ipv6)},desktop.lan`,
        `--ptr-record=${reverseName(router.ipv4)},router.lan`,
      ],
      { ipv6: true },
    );
    await waitFor(
      async () => {
        const r = await lab.exec(router, 'dig', [
          `@${router.ipv4}`,
          '+tries=1',
          '+time=1',
          '+short',
          '-x',
          router.ipv4,
        ]);
        return r.stdout.includes('router.lan') ? true : undefined;
      },
      10_000,
      'the router namespace to answer reverse DNS',
    );
    registry = await DeviceRegistry.open({
      dataDir,
      routers: [router.ipv4],
      detectGateways: false,
      onWarning: (m) => warnings.push(m),
    });
  });
  afterAll(async () => {
    await registry?.close();
    await routerDns?.stop();
  });

  it('PTR answers name the devices; the router is marked, on all its addresses', async () => {
    expect(await ask(router, 4)).toBe('192.0.2.10');
    expect(await ask(router, 6)).toBe('192.0.2.10');
    expect(await ask(desktop, 4)).toBe('192.0.2.10');
    feed(registry);
    await waitFor(
      () => (registry.get(desktop.ipv6).hostname && registry.get(router.ipv4).hostname ? true : undefined),
      8000,
      'hostnames',
    );
    expect(registry.get(desktop.ipv4)).toMatchObject({
      hostname: 'desktop.lan',
      isRouter: false,
      mac: INTEL,
    });
    expect(registry.get(desktop.ipv6)).toMatchObject({ hostname: 'desktop.lan', isRouter: false });
    expect(await withMac(registry, router.ipv4)).toMatchObject({
      hostname: 'router.lan',
      isRouter: true,
      vendor: 'TP-LINK TECHNOLOGIES CO.,LTD.',
    });
    // Not the configured address, but the router's MAC: still the router.
    expect(await withMac(registry, router.ipv6)).toMatchObject({ isRouter: true, mac: TPLINK, hostname: '' });
    // The phone has no PTR record: "no name", which is not a failure.
    expect(registry.get(phone.ipv4).hostname).toBe('');
    expect(warnings).toEqual([]);
  });
});
