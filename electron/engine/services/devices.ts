import type { CaptureInfo, DeviceInfo } from '@shared/events';
import type { ExchangeRecord } from '../capture';
import type { DeviceRegistry } from '../devices';
import type { RouterSetting } from '../router-setting';

/** Who each client is, and which addresses are the router (command line, saved setting, detected). */
export class DeviceService {
  private learned: Promise<void> = Promise.resolve();

  constructor(
    private readonly registry: DeviceRegistry,
    private readonly setting: RouterSetting,
    /** The --router addresses in effect: they stay routers whatever the user saves. */
    private readonly configuredRouters: () => readonly string[],
  ) {}

  /** What is known about the device at `address` (defaults for one never seen). */
  get(address: string): DeviceInfo {
    return this.registry.get(address);
  }

  all(): DeviceInfo[] {
    return this.registry.all();
  }

  /** The router's addresses: --router, the saved setting, then the detected default gateways. */
  routerAddresses(): string[] {
    return this.registry.routerAddresses();
  }

  /**
   * Our own reverse lookup, sent back to us by a router that uses this computer as its resolver: answered, but
   * not the router's traffic. On the DNS hot path.
   */
  isOwnLookup(rec: ExchangeRecord): boolean {
    return rec.qtype === 'PTR' && this.registry.isOwnLookup(rec.client, rec.qname, rec.ts);
  }

  /** Notes the record's client as a device (one Map lookup for a known one). On the DNS hot path. */
  observe(rec: ExchangeRecord): void {
    this.registry.observe(rec.client);
  }

  /**
   * Takes in what the imported captures among `captures` say of their clients (source.devices: MACs and host
   * names), each as of the capture's end, so the device table and the CSV show them. importsLearned() resolves
   * once the latest call is taken in; it never rejects.
   */
  learnImports(captures: readonly CaptureInfo[]): void {
    const devices = [];
    for (const c of captures)
      for (const d of c.source?.devices ?? []) devices.push({ ...d, at: c.stoppedAt || c.startedAt });
    this.learned = this.registry.setImported(devices);
  }

  importsLearned(): Promise<void> {
    return this.learned;
  }

  rename(address: string, name: string): Promise<DeviceInfo> {
    return this.registry.rename(address, name);
  }

  /** The addresses the user saved as the router (not --router, not detected). */
  savedRouters(): readonly string[] {
    return this.setting.routers;
  }

  async setRouters(addresses: readonly string[]): Promise<DeviceInfo[]> {
    // The registry checks the addresses first, so a bad one changes nothing and saves nothing.
    this.registry.setRouters([...this.configuredRouters(), ...addresses]);
    await this.setting.save(addresses);
    return this.registry.all();
  }

  onChange(listener: (device: DeviceInfo) => void): () => void {
    return this.registry.onChange(listener);
  }

  async close(): Promise<void> {
    await this.registry.close();
    await this.setting.flush();
  }
}
