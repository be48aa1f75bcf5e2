import os from 'node:os';
import { isIP } from 'node:net';
import type { DeviceInfo } from '@shared/events';
import { canonicalAddress, isLinkLocal, isLoopback, reverseName } from './address';
import { isLocallyAdministered } from './mac';
import { NameStore, validateName } from './names';
import type { Neighbour } from './neighbours';
import { readOsGateways, readOsNeighbours } from './os-tables';
import { OuiDatabase, type OuiTable } from './oui';
import {
  PTR_MAX_TTL_MS,
  PTR_MIN_TTL_MS,
  PTR_NEGATIVE_TTL_MS,
  PtrInFlight,
  ReverseResolver,
  type PtrAnswer,
} from './reverse-dns';

export interface DeviceRegistryOptions {
  /** Folder of `devices.json` (the user's device names). */
  readonly dataDir: string;
  /** Addresses the user names as the router, in addition to the detected gateways. */
  readonly routers: readonly string[];
  /** Treat this computer's default gateways (IPv4 and IPv6) as the router; default true. */
  readonly detectGateways?: boolean;
  /** Epoch ms; decides when cached hostnames expire. */
  readonly clock?: () => number;
  /** Neighbour table (IP → MAC); default: the OS tables. */
  readonly readNeighbours?: () => Promise<Neighbour[]>;
  /** Default gateways; default: the OS routing tables. */
  readonly readGateways?: () => Promise<string[]>;
  /** Hostname for an address, "" when none; default: a PTR query to the router(s). */
  readonly resolvePtr?: (address: string) => Promise<string>;
  /** For tests: the vendor table; default: the `oui-data` package, read on first use. */
  readonly loadOui?: () => Promise<OuiTable>;
  /** Timeout of one PTR query to one router; default 1500 ms. */
  readonly ptrTimeoutMs?: number;
  /**
   * One line per problem kind, at most once each (neighbour table, routing table, vendors, reverse DNS, …).
   */
  readonly onWarning?: (message: string) => void;
}

/** How often the neighbour table and gateways are re-read, and expired hostnames looked up again. */
export const REFRESH_MS = 60_000;
/** A device that is not yet in the neighbour table when it first asks is looked up again this much later. */
const MAC_RETRY_MS = 2000;
/** Addresses beyond this many are not tracked (a LAN host cycling through random IPv6 addresses). */
export const MAX_DEVICES = 4096;
const PTR_CONCURRENCY = 4;
const PTR_QUEUE_MAX = 1024;
const DNS_PORT = 53;

/**
 * What an imported capture's source says of one address (capture.json `source.devices`): a MAC from a packet's
 * Ethernet header, Pi-hole's network table or a DHCP lease, and/or a host name; `at` is when that was true
 * (epoch ms: the end of the capture that says it).
 */
export interface ImportedDevice {
  readonly address: string;
  readonly mac: string;
  readonly name: string;
  readonly at: number;
}

interface Entry {
  info: DeviceInfo;
  /** Last MAC the neighbour table gave for this address; kept when the entry ages out of the table. */
  mac: string;
  /** Clock ms when the neighbour table last gave `mac`. */
  macSeen: number;
  hostname: string;
  /** Clock ms after which the hostname is looked up again; 0 before the first lookup. */
  ptrExpires: number;
  ptrQueued: boolean;
}

function sameInfo(a: DeviceInfo, b: DeviceInfo): boolean {
  return (
    a.mac === b.mac &&
    a.vendor === b.vendor &&
    a.privateMac === b.privateMac &&
    a.hostname === b.hostname &&
    a.name === b.name &&
    a.isRouter === b.isRouter
  );
}

/**
 * What is known about each client address: the router flag, MAC and vendor from the neighbour table, the
 * hostname from the router's reverse DNS, and the user's name. Lookups run in the background; `observe` is
 * the only method on the query path.
 */
export class DeviceRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Set<(d: DeviceInfo) => void>();
  private readonly warned = new Set<string>();
  private readonly clock: () => number;
  private readonly oui: OuiDatabase;
  private readonly resolver: ReverseResolver;
  /** Reverse names being looked up, with wall-clock times as the forwarder stamps queries. */
  private readonly ptrInFlight = new PtrInFlight();
  /** Told when a reverse lookup of ours starts and ends (the DNS thread skips its echoes too). */
  private ownLookupListener: ((name: string, phase: 'begin' | 'end', at: number) => void) | null = null;
  private readonly readNeighboursFn: () => Promise<Neighbour[]>;
  private readonly readGatewaysFn: () => Promise<string[]>;
  private readonly resolvePtrFn: (address: string) => Promise<PtrAnswer>;
  /** The latest neighbour table read: address → MAC. */
  private table = new Map<string, string>();
  private tableRead: Promise<void> | null = null;
  private gateways: string[] = [];
  private configured: string[] = [];
  private routers = new Set<string>();
  private routerMacs = new Set<string>();
  /** Per address, the latest word of the imported captures (setImported). */
  private imported = new Map<string, ImportedDevice>();
  /** setImported() calls so far: only the latest one is taken in. */
  private importCalls = 0;
  private pendingNew: string[] = [];
  private processing = false;
  private ptrQueue: string[] = [];
  private ptrActive = 0;
  private refreshTimer: NodeJS.Timeout | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private closed = false;

  private constructor(
    private readonly opts: DeviceRegistryOptions,
    private readonly names: NameStore,
  ) {
    this.clock = opts.clock ?? Date.now;
    this.oui = new OuiDatabase(opts.loadOui, (m) => this.warn('oui', m));
    this.resolver = new ReverseResolver({ timeoutMs: opts.ptrTimeoutMs ?? 1500 });
    this.readNeighboursFn = opts.readNeighbours ?? (() => readOsNeighbours());
    this.readGatewaysFn = opts.readGateways ?? (() => readOsGateways());
    const inject = opts.resolvePtr;
    this.resolvePtrFn = inject
      ? (address) =>
          Promise.resolve(address)
            .then(inject)
            .then(
              (hostname) => ({
                hostname,
                ttlMs: hostname ? PTR_MIN_TTL_MS : PTR_NEGATIVE_TTL_MS,
                error: '',
              }),
              (err: unknown) => ({ hostname: '', ttlMs: PTR_NEGATIVE_TTL_MS, error: String(err) }),
            )
      : (address) => this.resolver.lookup(address, this.ptrServers());
    this.configured = DeviceRegistry.checkRouters(opts.routers);
  }

  /**
   * Loads the saved names and the gateways, then refreshes every REFRESH_MS (unref'd timer). Rejects only
   * when `routers` holds something that is not an IP address.
   */
  static async open(opts: DeviceRegistryOptions): Promise<DeviceRegistry> {
    DeviceRegistry.checkRouters(opts.routers);
    const names = await NameStore.load(opts.dataDir, (m) => opts.onWarning?.(m));
    const registry = new DeviceRegistry(opts, names);
    await registry.readGateways();
    registry.refreshTimer = setInterval(() => void registry.refresh(), REFRESH_MS);
    registry.refreshTimer.unref();
    return registry;
  }

  /**
   * Notes that `address` (as in QueryEvent.client) asked a query. Known addresses cost one Map lookup; a new
   * one is added and its MAC, vendor and hostname are looked up in the background. Never throws.
   */
  observe(address: string): void {
    if (this.entries.has(address) || this.closed) return;
    try {
      this.admit(address);
    } catch (err) {
      this.warn('observe', `device lookup could not start: ${String(err)}`);
    }
  }

  /** What is known about `address`; an address never observed gets the defaults (plus router flag, name). */
  get(address: string): DeviceInfo {
    return this.entries.get(address)?.info ?? this.defaults(address);
  }

  /** Every observed device, in the order they were first seen, then those only imported captures name. */
  all(): DeviceInfo[] {
    const out = [...this.entries.values()].map((e) => e.info);
    for (const address of this.imported.keys())
      if (!this.entries.has(address)) out.push(this.defaults(address));
    return out;
  }

  /**
   * What the imported captures say of their clients (their MACs and host names), replacing what an earlier
   * call said: per address the latest `at` counts. A MAC the neighbour table gave later than `at` is kept, as
   * is a hostname from reverse DNS. Nothing is looked up for addresses only an import names (they may be of
   * another network). Announces the devices that changed, once their vendors are known. Never rejects.
   */
  async setImported(devices: readonly ImportedDevice[]): Promise<void> {
    if (this.closed) return;
    const next = new Map<string, ImportedDevice>();
    for (const d of devices) {
      const address = canonicalAddress(d.address);
      if (address === '' || (d.mac === '' && d.name === '')) continue;
      const known = next.get(address);
      if (known !== undefined && known.at > d.at)
        next.set(address, { ...known, mac: known.mac || d.mac, name: known.name || d.name });
      else
        next.set(address, {
          address,
          mac: d.mac || known?.mac || '',
          name: d.name || known?.name || '',
          at: d.at,
        });
    }
    // Taken in once the vendors are known, so no device is shown with its MAC and without its vendor; a later
    // call replaces this one.
    const call = ++this.importCalls;
    await this.vendorsReady(next);
    if (this.closed || call !== this.importCalls) return;
    const before = this.imported;
    this.imported = next;
    this.computeRouterMacs();
    this.updateAll();
    // Devices no capture of ours observed: announced when an import first names them, or names them anew.
    for (const [address, d] of next) {
      if (this.entries.has(address)) continue;
      const old = before.get(address);
      if (old?.mac === d.mac && old.name === d.name) continue;
      this.announce(this.defaults(address));
    }
  }

  /** The router's addresses: the user's, then the detected gateways. */
  routerAddresses(): string[] {
    return [...this.routers];
  }

  /**
   * Every address known to be the router's, as isOwnLookup() judges them: routerAddresses(), devices marked
   * as the router, and addresses the neighbour table gives a router MAC (one not seen asking yet).
   */
  addressesOfRouter(): string[] {
    const candidates = new Set([...this.routers, ...this.entries.keys(), ...this.table.keys()]);
    return [...candidates].filter((address) => this.isRouterAddress(address));
  }

  /** Calls `listener` when a reverse lookup of ours starts and when it ends, with the name and the time. */
  onOwnLookup(listener: (name: string, phase: 'begin' | 'end', at: number) => void): void {
    this.ownLookupListener = listener;
  }

  /**
   * True when a query for `qname` from `client` that arrived at `ts` (epoch ms) is our own reverse lookup
   * coming back: `client` is the router and we were asking for that name then. That happens when the router
   * uses this computer as its resolver. Cheap for names we are not asking for; never throws.
   */
  isOwnLookup(client: string, qname: string, ts: number): boolean {
    return this.ptrInFlight.covers(qname, ts) && this.isRouterAddress(client);
  }

  /** The router's address: named or detected, a device marked as the router, or one with a router MAC. */
  private isRouterAddress(address: string): boolean {
    const e = this.entries.get(address);
    if (e?.info.isRouter || this.routers.has(address)) return true;
    // An address of the router not seen yet: its MAC in the neighbour table still tells.
    const mac = e?.mac || this.table.get(address);
    return mac !== undefined && mac !== '' && this.routerMacs.has(mac);
  }

  /**
   * Names the device at `address` (and every address with the same MAC) and saves it: keyed by MAC when
   * known, else by address; "" clears. Rejects with a message for the user when the name is invalid or
   * cannot be saved.
   */
  async rename(address: string, name: string): Promise<DeviceInfo> {
    const clean = validateName(name);
    const a = canonicalAddress(address);
    if (!a) throw new Error(`not an IP address: "${address}"`);
    const e = this.entries.get(a);
    const mac = (e ? this.macOf(a, e) : '') || this.table.get(a) || this.imported.get(a)?.mac || '';
    await this.names.set(mac, a, clean);
    this.updateAll();
    return this.get(a);
  }

  /**
   * The user's router addresses (replacing the previous ones), in addition to detected gateways. Throws on a
   * non-address.
   */
  setRouters(addresses: readonly string[]): void {
    this.configured = DeviceRegistry.checkRouters(addresses);
    this.applyRouters();
  }

  /**
   * Calls `listener` when a device is first seen (once its MAC lookup is done) and whenever its info changes.
   */
  onChange(listener: (d: DeviceInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the neighbour table and gateways and looks up expired hostnames. Never rejects. */
  async refresh(): Promise<void> {
    if (this.closed) return;
    await Promise.all([this.readGateways(), this.readTable()]);
    await this.vendorsReady();
    this.updateAll();
    for (const address of this.entries.keys()) this.queuePtr(address);
  }

  /** Stops the timers and lookups, and waits for name writes in progress. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.refreshTimer = this.retryTimer = null;
    this.ptrQueue = [];
    this.resolver.close();
    this.listeners.clear();
    await this.names.flush();
  }

  private static checkRouters(addresses: readonly string[]): string[] {
    return addresses.map((text) => {
      const a = canonicalAddress(text);
      if (!a) throw new Error(`not an IP address for the router: "${text}"`);
      return a;
    });
  }

  private admit(address: string): void {
    if (isIP(address) === 0) return;
    if (this.entries.size >= MAX_DEVICES) {
      this.warn('capacity', `more than ${MAX_DEVICES} client addresses: further ones get no device details`);
      return;
    }
    this.entries.set(address, {
      info: this.defaults(address),
      mac: '',
      macSeen: 0,
      hostname: '',
      ptrExpires: 0,
      ptrQueued: false,
    });
    this.pendingNew.push(address);
    if (!this.processing) {
      this.processing = true;
      setImmediate(() => void this.processNew());
    }
  }

  /** Looks up newly seen devices in batches: one neighbour table read for all that arrived meanwhile. */
  private async processNew(): Promise<void> {
    try {
      while (this.pendingNew.length > 0 && !this.closed) {
        const batch = this.pendingNew;
        this.pendingNew = [];
        await this.readTable();
        await this.vendorsReady();
        if (this.closed) return;
        let missing = false;
        for (const address of batch) {
          this.update(address, true);
          this.queuePtr(address);
          if (this.entries.get(address)?.mac === '') missing = true;
        }
        if (missing) this.scheduleRetry();
      }
    } finally {
      this.processing = false;
    }
  }

  /** A client can ask before the kernel has its neighbour entry; look once more shortly after. */
  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.readTable()
        .then(() => this.vendorsReady())
        .then(() => this.updateAll());
    }, MAC_RETRY_MS);
    this.retryTimer.unref();
  }

  /** One neighbour-table read at a time; callers during a read share it. Never rejects. */
  private readTable(): Promise<void> {
    this.tableRead ??= Promise.resolve()
      .then(() => this.readNeighboursFn())
      .then(
        (list) => {
          const table = new Map<string, string>();
          for (const n of list) table.set(n.address, n.mac);
          this.table = table;
          const now = this.clock();
          for (const [address, e] of this.entries) {
            const mac = table.get(address);
            if (mac) {
              e.mac = mac;
              e.macSeen = now;
            }
          }
          this.computeRouterMacs();
        },
        (err: unknown) =>
          this.warn(
            'neighbours',
            `the neighbour table could not be read (${errorText(err)}): MACs stay unknown`,
          ),
      )
      .finally(() => (this.tableRead = null));
    return this.tableRead;
  }

  private async readGateways(): Promise<void> {
    if (this.opts.detectGateways === false) {
      this.applyRouters();
      return;
    }
    try {
      const list = await this.readGatewaysFn();
      this.gateways = list.map(canonicalAddress).filter((a) => a !== '');
    } catch (err) {
      this.warn(
        'gateways',
        `the routing table could not be read (${errorText(err)}): the router is not detected`,
      );
    }
    this.applyRouters();
  }

  private applyRouters(): void {
    const next = new Set([...this.configured, ...this.gateways]);
    const changed = next.size !== this.routers.size || [...next].some((a) => !this.routers.has(a));
    if (!changed) return;
    this.routers = next;
    this.computeRouterMacs();
    this.resolver.retain(this.ptrServers());
    // Other routers may know names the previous ones did not: forget the negative answers.
    for (const e of this.entries.values()) if (e.hostname === '') e.ptrExpires = 0;
    this.updateAll();
    for (const address of this.entries.keys()) this.queuePtr(address);
  }

  /** A router's other addresses (its global IPv6 address when the gateway is link-local) share its MAC. */
  private computeRouterMacs(): void {
    const macs = new Set<string>();
    for (const r of this.routers) {
      const e = this.entries.get(r);
      const mac = this.table.get(r) || (e ? this.macOf(r, e) : this.imported.get(r)?.mac);
      if (mac) macs.add(mac);
    }
    this.routerMacs = macs;
  }

  /** Routers reachable without a zone: user-named first, then gateways; link-local ones need an interface. */
  private ptrServers(): { host: string; port: number }[] {
    return [...this.routers].filter((a) => !isLinkLocal(a)).map((host) => ({ host, port: DNS_PORT }));
  }

  /** Loads the vendor table if a device known here (or one of `imported`) has a MAC that names a vendor. */
  private async vendorsReady(imported: ReadonlyMap<string, ImportedDevice> = this.imported): Promise<void> {
    if (this.oui.loaded) return;
    for (const [address, e] of this.entries) {
      const mac = this.macOf(address, e);
      if (mac && !isLocallyAdministered(mac)) return this.oui.ready();
    }
    for (const d of imported.values()) if (d.mac && !isLocallyAdministered(d.mac)) return this.oui.ready();
  }

  /** The MAC of an observed address: the neighbour table's, unless an import saw another one since. */
  private macOf(address: string, e: Entry): string {
    const imp = this.imported.get(address);
    if (imp === undefined || imp.mac === '') return e.mac;
    return e.mac !== '' && e.macSeen >= imp.at ? e.mac : imp.mac;
  }

  /** An address never observed: what the user named it and what the imports say of it. */
  private defaults(address: string): DeviceInfo {
    const imp = this.imported.get(address);
    if (imp !== undefined) return this.info(address, imp.mac, imp.name);
    return {
      address,
      mac: '',
      vendor: '',
      privateMac: false,
      hostname: '',
      name: this.names.nameFor('', address),
      isRouter: this.routers.has(address),
    };
  }

  private compute(address: string, e: Entry): DeviceInfo {
    return this.info(address, this.macOf(address, e), e.hostname || this.imported.get(address)?.name || '');
  }

  private info(address: string, mac: string, hostname: string): DeviceInfo {
    const privateMac = mac !== '' && isLocallyAdministered(mac);
    return {
      address,
      mac,
      vendor: mac && !privateMac ? this.oui.lookup(mac) : '',
      privateMac,
      hostname,
      name: this.names.nameFor(mac, address),
      isRouter: this.routers.has(address) || (mac !== '' && this.routerMacs.has(mac)),
    };
  }

  /** Recomputes one device; stores and announces it when it changed (or `announce` says it is new). */
  private update(address: string, announce = false): void {
    const e = this.entries.get(address);
    if (!e || this.closed) return;
    const next = this.compute(address, e);
    if (!announce && sameInfo(e.info, next)) return;
    e.info = next;
    this.announce(next);
  }

  private announce(next: DeviceInfo): void {
    for (const l of this.listeners) {
      try {
        l(next);
      } catch {
        // A failing listener must not stop the others or the lookups.
      }
    }
  }

  private updateAll(): void {
    for (const address of this.entries.keys()) this.update(address);
  }

  private queuePtr(address: string): void {
    const e = this.entries.get(address);
    if (!e || e.ptrQueued || e.ptrExpires > this.clock() || this.closed) return;
    if (this.ptrQueue.length >= PTR_QUEUE_MAX) {
      this.warn('ptr-queue', 'too many reverse DNS lookups waiting: some hostnames come later');
      return;
    }
    e.ptrQueued = true;
    this.ptrQueue.push(address);
    this.pumpPtr();
  }

  private pumpPtr(): void {
    while (this.ptrActive < PTR_CONCURRENCY && this.ptrQueue.length > 0) {
      const address = this.ptrQueue.shift()!;
      this.ptrActive++;
      void this.lookupPtr(address).finally(() => {
        this.ptrActive--;
        this.pumpPtr();
      });
    }
  }

  private async lookupPtr(address: string): Promise<void> {
    let answer: PtrAnswer;
    if (isLoopback(address)) answer = { hostname: os.hostname(), ttlMs: PTR_MAX_TTL_MS, error: '' };
    // Link-local addresses are never registered; with no router there is nobody to ask.
    else if (isLinkLocal(address) || (!this.opts.resolvePtr && this.ptrServers().length === 0))
      answer = { hostname: '', ttlMs: PTR_NEGATIVE_TTL_MS, error: '' };
    else {
      const name = reverseName(address);
      const begun = Date.now();
      this.ptrInFlight.begin(name, begun);
      this.ownLookupListener?.(name, 'begin', begun);
      try {
        answer = await this.resolvePtrFn(address);
      } finally {
        const ended = Date.now();
        this.ptrInFlight.end(name, ended);
        this.ownLookupListener?.(name, 'end', ended);
      }
    }
    const e = this.entries.get(address);
    if (!e || this.closed) return;
    e.ptrQueued = false;
    e.hostname = answer.hostname;
    e.ptrExpires = this.clock() + answer.ttlMs;
    if (answer.error)
      this.warn(
        'ptr',
        `reverse DNS through the router failed (${answer.error}): device hostnames stay empty`,
      );
    this.update(address);
  }

  private warn(kind: string, message: string): void {
    if (this.warned.has(kind) || this.closed) return;
    this.warned.add(kind);
    try {
      this.opts.onWarning?.(message);
    } catch {
      // Warnings are best effort.
    }
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
