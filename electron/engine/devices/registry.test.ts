import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DeviceInfo } from '@shared/events';
import type { Neighbour } from './neighbours';
import { reverseName } from './address';
import { DeviceRegistry, MAX_DEVICES, type DeviceRegistryOptions } from './registry';
import { PTR_ECHO_GRACE_MS } from './reverse-dns';

const ROUTER_MAC = 'f4:f2:6d:12:34:56';
const INTEL_MAC = '00:1b:21:3c:4d:5e';
const PRIVATE_MAC = '5e:e1:3a:77:10:02';
const OUI = {
  F4F26D: 'TP-LINK TECHNOLOGIES CO.,LTD.\nShenzhen',
  '001B21': 'Intel Corporate\nKulim',
  '5EE13A': 'Nobody registers locally administered blocks',
};

const n = (address: string, mac: string): Neighbour => ({ address, mac, iface: 'eth0' });

let dir = '';
let registry: DeviceRegistry | null = null;
beforeEach(async () => {
  dir = await mkdtemp(join(os.tmpdir(), 'dnsw-registry-'));
});
afterEach(async () => {
  await registry?.close();
  registry = null;
  await rm(dir, { recursive: true, force: true });
});

/** A registry over a neighbour table and gateways the test controls. */
async function open(
  over: Partial<DeviceRegistryOptions> & { table?: Neighbour[]; gateways?: string[] } = {},
) {
  const state = {
    table: over.table ?? [
      n('192.168.1.1', ROUTER_MAC),
      n('fe80::f6f2:6dff:fe12:3456', ROUTER_MAC),
      n('2001:db8:1e00::1', ROUTER_MAC),
      n('192.168.1.7', INTEL_MAC),
      n('192.168.1.42', PRIVATE_MAC),
    ],
    gateways: over.gateways ?? ['192.168.1.1', 'fe80::f6f2:6dff:fe12:3456'],
    neighbourReads: 0,
    warnings: [] as string[],
    changes: [] as DeviceInfo[],
  };
  registry = await DeviceRegistry.open({
    dataDir: dir,
    routers: [],
    readNeighbours: async () => {
      state.neighbourReads++;
      return state.table;
    },
    readGateways: async () => state.gateways,
    resolvePtr: async () => '',
    loadOui: async () => OUI,
    onWarning: (m) => state.warnings.push(m),
    ...over,
  });
  registry.onChange((d) => state.changes.push(d));
  return { registry, state };
}

const settled = (r: DeviceRegistry, address: string) =>
  vi.waitFor(() => {
    const d = r.all().find((x) => x.address === address);
    if (!d?.mac) throw new Error(`${address} has no MAC yet`);
    return d;
  });

describe('a new client', () => {
  it('is announced once with its MAC and vendor from the neighbour table', async () => {
    const { registry: r, state } = await open();
    r.observe('192.168.1.7');
    r.observe('192.168.1.7');
    await settled(r, '192.168.1.7');
    expect(state.changes).toEqual([
      {
        address: '192.168.1.7',
        mac: INTEL_MAC,
        vendor: 'Intel Corporate',
        privateMac: false,
        hostname: '',
        name: '',
        isRouter: false,
      },
    ]);
    expect(r.get('192.168.1.7')).toBe(state.changes[0]);
  });

  it('a locally administered MAC is private and names no vendor', async () => {
    const { registry: r } = await open();
    r.observe('192.168.1.42');
    expect(await settled(r, '192.168.1.42')).toMatchObject({
      mac: PRIVATE_MAC,
      privateMac: true,
      vendor: '',
    });
  });

  it('clients arriving together share one neighbour-table read; known ones cost none', async () => {
    const { registry: r, state } = await open();
    for (const a of ['192.168.1.7', '192.168.1.42', '192.168.1.1']) r.observe(a);
    await settled(r, '192.168.1.1');
    expect(state.neighbourReads).toBe(1);
    for (let i = 0; i < 10_000; i++) r.observe('192.168.1.7');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(state.neighbourReads).toBe(1);
    expect(r.all().map((d) => d.address)).toEqual(['192.168.1.7', '192.168.1.42', '192.168.1.1']);
  });

  it('not yet in the neighbour table: found by the retry shortly after', async () => {
    const { registry: r, state } = await open({ table: [] });
    r.observe('192.168.1.7');
    await vi.waitFor(() => expect(state.changes).toHaveLength(1));
    expect(state.changes[0]!.mac).toBe('');
    state.table = [n('192.168.1.7', INTEL_MAC)];
    await vi.waitFor(() => expect(r.get('192.168.1.7').vendor).toBe('Intel Corporate'), { timeout: 4000 });
    expect(state.changes.at(-1)).toMatchObject({ mac: INTEL_MAC });
  });

  it('keeps its MAC when its entry ages out of the table', async () => {
    const { registry: r, state } = await open();
    r.observe('192.168.1.7');
    await settled(r, '192.168.1.7');
    state.table = [];
    await r.refresh();
    expect(r.get('192.168.1.7').mac).toBe(INTEL_MAC);
  });

  it('unknown addresses get defaults; odd input never throws', async () => {
    const { registry: r } = await open();
    expect(r.get('192.168.1.200')).toEqual({
      address: '192.168.1.200',
      mac: '',
      vendor: '',
      privateMac: false,
      hostname: '',
      name: '',
      isRouter: false,
    });
    for (const odd of ['', 'not an address', '\u0000', 'x'.repeat(10_000)])
      expect(() => r.observe(odd)).not.toThrow();
  });

  it(`tracks at most ${MAX_DEVICES} addresses and says so once`, async () => {
    const { registry: r, state } = await open({ table: [] });
    for (let i = 0; i < MAX_DEVICES + 10; i++) r.observe(`fd00::${i.toString(16)}`);
    expect(r.all()).toHaveLength(MAX_DEVICES);
    expect(state.warnings.filter((w) => w.includes(String(MAX_DEVICES)))).toHaveLength(1);
  });
});

describe('the router', () => {
  it("this computer's default gateways are the router, and so are the router's other addresses", async () => {
    const { registry: r } = await open();
    expect(r.get('192.168.1.1').isRouter).toBe(true);
    expect(r.get('fe80::f6f2:6dff:fe12:3456').isRouter).toBe(true);
    expect(r.get('192.168.1.7').isRouter).toBe(false);
    // The global IPv6 address is no gateway, but it has the gateway's MAC.
    r.observe('2001:db8:1e00::1');
    expect(await settled(r, '2001:db8:1e00::1')).toMatchObject({
      isRouter: true,
      vendor: 'TP-LINK TECHNOLOGIES CO.,LTD.',
    });
  });

  it('`routers` adds to the gateways; without detection only they count', async () => {
    const { registry: r } = await open({ routers: ['192.168.1.2'] });
    expect(r.get('192.168.1.2').isRouter).toBe(true);
    expect(r.get('192.168.1.1').isRouter).toBe(true);
    await r.close();
    const { registry: r2, state } = await open({ routers: ['192.168.1.2'], detectGateways: false });
    expect(r2.get('192.168.1.2').isRouter).toBe(true);
    expect(r2.get('192.168.1.1').isRouter).toBe(false);
    expect(state.warnings).toEqual([]);
  });

  it('setRouters replaces the user routers and announces the change', async () => {
    const { registry: r, state } = await open({ detectGateways: false });
    r.observe('192.168.1.7');
    await settled(r, '192.168.1.7');
    r.setRouters(['192.168.1.7']);
    expect(state.changes.at(-1)).toMatchObject({ address: '192.168.1.7', isRouter: true });
    r.setRouters([]);
    expect(state.changes.at(-1)).toMatchObject({ address: '192.168.1.7', isRouter: false });
    expect(() => r.setRouters(['router.lan'])).toThrow(/not an IP address/);
  });

  it('router addresses are written the canonical way', async () => {
    const { registry: r } = await open({ routers: ['2001:DB8:0::9'], detectGateways: false });
    expect(r.get('2001:db8::9').isRouter).toBe(true);
    await expect(DeviceRegistry.open({ dataDir: dir, routers: ['nope'] })).rejects.toThrow(
      /not an IP address/,
    );
  });

  it('gateways that change are picked up by refresh', async () => {
    const { registry: r, state } = await open();
    state.gateways = ['192.168.1.254'];
    await r.refresh();
    expect(r.get('192.168.1.254').isRouter).toBe(true);
    expect(r.get('192.168.1.1').isRouter).toBe(false);
  });
});

describe('what imported captures say', () => {
  const T = Date.parse('2026-11-20T09:00:00Z');

  it('gives addresses never observed their MAC, vendor and host name, without looking anything up', async () => {
    let ptrs = 0;
    const { registry: r, state } = await open({
      table: [],
      resolvePtr: async () => {
        ptrs++;
        return 'asked.lan';
      },
    });
    await r.setImported([
      { address: '192.168.1.23', mac: INTEL_MAC, name: 'laptop.lan', at: T },
      { address: '192.168.1.50', mac: '', name: 'printer.lan', at: T },
      { address: '192.168.1.60', mac: '', name: '', at: T },
    ]);
    const laptop = {
      address: '192.168.1.23',
      mac: INTEL_MAC,
      vendor: 'Intel Corporate',
      privateMac: false,
      hostname: 'laptop.lan',
      name: '',
      isRouter: false,
    };
    expect(r.get('192.168.1.23')).toEqual(laptop);
    expect(r.get('192.168.1.50')).toMatchObject({ mac: '', hostname: 'printer.lan' });
    expect(r.all().map((d) => d.address)).toEqual(['192.168.1.23', '192.168.1.50']);
    expect(state.changes).toEqual([laptop, r.get('192.168.1.50')]);
    expect(state.neighbourReads).toBe(0);
    expect(ptrs).toBe(0);
    // The same word again announces nothing; a later call replaces it.
    await r.setImported([
      { address: '192.168.1.23', mac: INTEL_MAC, name: 'laptop.lan', at: T },
      { address: '192.168.1.50', mac: '', name: 'printer.lan', at: T },
    ]);
    expect(state.changes).toHaveLength(2);
    await r.setImported([]);
    expect(r.get('192.168.1.23').mac).toBe('');
  });

  it("an import's MACs are shown with their vendors, never before them; a later call wins", async () => {
    let loadVendors = (): void => undefined;
    const { registry: r } = await open({
      table: [],
      loadOui: () => new Promise((resolve) => (loadVendors = () => resolve(OUI))),
    });
    const first = r.setImported([{ address: '192.168.1.23', mac: INTEL_MAC, name: 'old.lan', at: T }]);
    const second = r.setImported([{ address: '192.168.1.23', mac: INTEL_MAC, name: 'laptop.lan', at: T }]);
    // The vendor table is still loading: the device is not shown half known.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.get('192.168.1.23')).toMatchObject({ mac: '', vendor: '', hostname: '' });
    loadVendors();
    await Promise.all([first, second]);
    expect(r.get('192.168.1.23')).toMatchObject({
      mac: INTEL_MAC,
      vendor: 'Intel Corporate',
      hostname: 'laptop.lan',
    });
  });

  it('the latest capture wins per address, and a user name given by MAC follows', async () => {
    const { registry: r } = await open({ table: [] });
    await r.rename('192.168.1.99', 'ignored');
    await r.setImported([
      { address: '192.168.1.23', mac: PRIVATE_MAC, name: 'new.lan', at: T + 1000 },
      { address: '192.168.1.23', mac: INTEL_MAC, name: 'old.lan', at: T },
    ]);
    expect(r.get('192.168.1.23')).toMatchObject({ mac: PRIVATE_MAC, privateMac: true, hostname: 'new.lan' });
    expect(await r.rename('192.168.1.23', 'Phone')).toMatchObject({ name: 'Phone', mac: PRIVATE_MAC });
    // Named by its MAC: the same phone at another address in another import has the name too.
    await r.setImported([{ address: '192.168.1.24', mac: PRIVATE_MAC, name: '', at: T }]);
    expect(r.get('192.168.1.24').name).toBe('Phone');
  });

  it('a MAC the neighbour table gave later stays; one an import saw since replaces it', async () => {
    let now = T + 60_000;
    const { registry: r } = await open({ clock: () => now });
    r.observe('192.168.1.7');
    await settled(r, '192.168.1.7');
    await r.setImported([{ address: '192.168.1.7', mac: PRIVATE_MAC, name: 'old.lan', at: T }]);
    // Observed live more recently than the import: the live MAC stays; the hostname fills a gap.
    expect(r.get('192.168.1.7')).toMatchObject({ mac: INTEL_MAC, hostname: 'old.lan' });
    await r.setImported([{ address: '192.168.1.7', mac: PRIVATE_MAC, name: '', at: T + 120_000 }]);
    expect(r.get('192.168.1.7').mac).toBe(PRIVATE_MAC);
    // The table gives it again after that: live is the latest word once more.
    now = T + 180_000;
    await r.refresh();
    expect(r.get('192.168.1.7').mac).toBe(INTEL_MAC);
  });

  it("an imported MAC marks the router's other addresses", async () => {
    const { registry: r } = await open({ table: [], gateways: [] });
    r.setRouters(['192.168.1.1']);
    await r.setImported([
      { address: '192.168.1.1', mac: ROUTER_MAC, name: 'router.lan', at: T },
      { address: 'fd00::1', mac: ROUTER_MAC, name: '', at: T },
    ]);
    expect(r.get('fd00::1')).toMatchObject({ isRouter: true, vendor: 'TP-LINK TECHNOLOGIES CO.,LTD.' });
  });
});

describe('names', () => {
  it('a rename by MAC survives a restart and follows the device to a new address', async () => {
    const { registry: r, state } = await open();
    r.observe('192.168.1.7');
    await settled(r, '192.168.1.7');
    expect(await r.rename('192.168.1.7', '  Office PC ')).toMatchObject({
      name: 'Office PC',
      mac: INTEL_MAC,
    });
    expect(state.changes.at(-1)).toMatchObject({ address: '192.168.1.7', name: 'Office PC' });
    await r.close();

    const { registry: again } = await open({ table: [n('192.168.1.77', INTEL_MAC)] });
    again.observe('192.168.1.77');
    expect(await settled(again, '192.168.1.77')).toMatchObject({ name: 'Office PC' });
    expect(again.get('192.168.1.7').name).toBe('');
  });

  it('without a MAC the name is kept by address; "" clears it', async () => {
    const { registry: r } = await open({ table: [] });
    await r.rename('192.168.1.9', 'Printer');
    await r.close();
    const { registry: again } = await open({ table: [] });
    expect(again.get('192.168.1.9').name).toBe('Printer');
    await again.rename('192.168.1.9', '');
    expect(again.get('192.168.1.9').name).toBe('');
  });

  it('invalid names and addresses are refused', async () => {
    const { registry: r } = await open();
    await expect(r.rename('192.168.1.7', 'a\tb')).rejects.toThrow(/control characters/);
    await expect(r.rename('192.168.1.7', 'x'.repeat(65))).rejects.toThrow(/64/);
    await expect(r.rename('kitchen', 'x')).rejects.toThrow(/not an IP address/);
  });
});

describe('hostnames', () => {
  it('come from resolvePtr, and are cached until they expire', async () => {
    let now = 1_000_000;
    const asked: string[] = [];
    let answer = 'office-pc.lan';
    const { registry: r, state } = await open({
      clock: () => now,
      resolvePtr: async (a) => {
        asked.push(a);
        return answer;
      },
    });
    r.observe('192.168.1.7');
    await vi.waitFor(() => expect(r.get('192.168.1.7').hostname).toBe('office-pc.lan'));
    expect(state.changes.at(-1)).toMatchObject({ hostname: 'office-pc.lan', mac: INTEL_MAC });
    await r.refresh();
    expect(asked).toEqual(['192.168.1.7']);
    now += 5 * 60_000 + 1;
    answer = 'renamed.lan';
    await r.refresh();
    await vi.waitFor(() => expect(r.get('192.168.1.7').hostname).toBe('renamed.lan'));
    expect(asked).toEqual(['192.168.1.7', '192.168.1.7']);
  });

  it('"no name" is cached for 10 minutes', async () => {
    let now = 0;
    let asked = 0;
    const { registry: r } = await open({
      clock: () => now,
      resolvePtr: async () => {
        asked++;
        return '';
      },
    });
    r.observe('192.168.1.7');
    await vi.waitFor(() => expect(asked).toBe(1));
    now += 9 * 60_000;
    await r.refresh();
    expect(asked).toBe(1);
    now += 60_000 + 1;
    await r.refresh();
    await vi.waitFor(() => expect(asked).toBe(2));
  });

  it('at most 4 lookups run at once; failures leave hostnames empty and warn once', async () => {
    let active = 0;
    let peak = 0;
    const { registry: r, state } = await open({
      table: [],
      resolvePtr: async () => {
        peak = Math.max(peak, ++active);
        await new Promise((resolve) => setTimeout(resolve, 10));
        active--;
        throw new Error('router unreachable');
      },
    });
    for (let i = 1; i <= 20; i++) r.observe(`192.168.1.${i}`);
    await vi.waitFor(() => expect(state.warnings.some((w) => w.includes('router unreachable'))).toBe(true));
    await vi.waitFor(() => expect(active).toBe(0));
    expect(peak).toBe(4);
    expect(state.warnings.filter((w) => w.includes('reverse DNS'))).toHaveLength(1);
    expect(r.all().every((d) => d.hostname === '')).toBe(true);
  });

  it('knows its own lookups while they run, and only from a router (an echo through the router)', async () => {
    const name = reverseName('192.168.1.7');
    const seen: { router: boolean; phone: boolean; other: boolean }[] = [];
    const waiting: (() => void)[] = [];
    const release = (): void => waiting.splice(0).forEach((go) => go());
    const { registry: r } = await open({
      resolvePtr: async () => {
        const now = Date.now();
        seen.push({
          router: r.isOwnLookup('192.168.1.1', name, now),
          phone: r.isOwnLookup('192.168.1.42', name, now),
          other: r.isOwnLookup('192.168.1.1', reverseName('192.168.1.8'), now),
        });
        await new Promise<void>((resolve) => waiting.push(resolve));
        return 'office-pc.lan';
      },
    });
    expect(r.routerAddresses().sort()).toEqual(['192.168.1.1', 'fe80::f6f2:6dff:fe12:3456']);
    // The router has asked before: it is a known device whose router flag comes from the gateway.
    r.observe('192.168.1.1');
    await settled(r, '192.168.1.1');
    const before = Date.now();
    r.observe('192.168.1.7');
    await vi.waitFor(() => expect(seen).toHaveLength(2));
    expect(seen.find((s) => s.router)).toEqual({ router: true, phone: false, other: false });
    // The router's global IPv6 address, never seen asking: its MAC makes it the router.
    expect(r.isOwnLookup('2001:db8:1e00::1', name, Date.now())).toBe(true);
    // The DNS thread, which cannot ask, is given the same addresses.
    expect(r.addressesOfRouter()).toEqual(expect.arrayContaining(['192.168.1.1', '2001:db8:1e00::1']));
    expect(r.addressesOfRouter()).not.toContain('192.168.1.42');
    // Not for a query that arrived before the lookup began.
    expect(r.isOwnLookup('192.168.1.1', name, before - 1000)).toBe(false);
    release();
    await vi.waitFor(() => expect(r.get('192.168.1.7').hostname).toBe('office-pc.lan'));
    const ended = Date.now();
    // A late echo (the router slower than our timeout) is still ours for a moment, then no longer.
    expect(r.isOwnLookup('192.168.1.1', name, ended + PTR_ECHO_GRACE_MS - 100)).toBe(true);
    expect(r.isOwnLookup('192.168.1.1', name, ended + PTR_ECHO_GRACE_MS + 100)).toBe(false);
  });

  it('loopback is this computer: its own hostname, no query', async () => {
    let asked = 0;
    const { registry: r } = await open({
      resolvePtr: async () => {
        asked++;
        return 'x';
      },
    });
    r.observe('127.0.0.1');
    await vi.waitFor(() => expect(r.get('127.0.0.1').hostname).toBe(os.hostname()));
    expect(asked).toBe(0);
  });
});

describe('failures', () => {
  it('an unreadable neighbour or routing table warns once per kind; fields stay empty', async () => {
    const { registry: r, state } = await open({
      readNeighbours: () => Promise.reject(new Error('ip: ENOENT')),
      readGateways: () => Promise.reject(new Error('netstat: EACCES')),
    });
    r.observe('192.168.1.7');
    await vi.waitFor(() => expect(state.changes).toHaveLength(1));
    await r.refresh();
    await r.refresh();
    expect(state.warnings).toEqual([
      'the routing table could not be read (netstat: EACCES): the router is not detected',
      'the neighbour table could not be read (ip: ENOENT): MACs stay unknown',
    ]);
    expect(r.get('192.168.1.7')).toMatchObject({ mac: '', vendor: '', isRouter: false });
  });

  it('a throwing listener does not stop the others', async () => {
    const { registry: r, state } = await open();
    r.onChange(() => {
      throw new Error('listener bug');
    });
    const seen: string[] = [];
    const off = r.onChange((d) => seen.push(d.address));
    r.observe('192.168.1.7');
    await settled(r, '192.168.1.7');
    await vi.waitFor(() => expect(seen).toEqual(['192.168.1.7']));
    off();
    r.observe('192.168.1.42');
    await settled(r, '192.168.1.42');
    expect(seen).toEqual(['192.168.1.7']);
    expect(state.changes.map((d) => d.address)).toEqual(['192.168.1.7', '192.168.1.42']);
  });

  it('after close nothing is observed or announced', async () => {
    const { registry: r, state } = await open();
    await r.close();
    r.observe('192.168.1.7');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(state.changes).toEqual([]);
    expect(r.all()).toEqual([]);
  });
});

it('with the real vendor database', async () => {
  const { registry: r } = await open({ loadOui: undefined });
  r.observe('192.168.1.1');
  expect(await settled(r, '192.168.1.1')).toMatchObject({
    vendor: 'TP-LINK TECHNOLOGIES CO.,LTD.',
    isRouter: true,
  });
});
