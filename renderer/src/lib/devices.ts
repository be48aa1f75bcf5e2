/**
 * How the dashboard shows devices: labels that tell them apart, vendor text, the router first, and the short
 * "new device" highlight. Pure; the engine's DeviceInfo comes in, strings and orders go out.
 */
import { deviceLabel, unknownDevice } from '@shared/devices';
import type { DeviceInfo } from '@shared/events';

/** How long a device that first appears live stays highlighted as new. */
export const NEW_DEVICE_MS = 6_000;

/** What is known about `address`, or only the address when nothing is yet. */
export function infoFor(devices: ReadonlyMap<string, DeviceInfo>, address: string): DeviceInfo {
  return devices.get(address) ?? unknownDevice(address);
}

/** The vendor line: the registered vendor, "Private MAC" for a randomized (locally administered) one, else "". */
export function vendorText(d: DeviceInfo): string {
  if (d.privateMac) return 'Private MAC';
  return d.vendor;
}

/**
 * A label per address that tells the devices apart: the user's name, else the hostname, else the address;
 * where several share a name (two addresses of one computer), the address is added to each.
 */
export function deviceLabels(
  addresses: readonly string[],
  devices: ReadonlyMap<string, DeviceInfo>,
): Map<string, string> {
  const base = new Map(addresses.map((a) => [a, deviceLabel(infoFor(devices, a))]));
  const uses = new Map<string, number>();
  for (const label of base.values()) uses.set(label, (uses.get(label) ?? 0) + 1);
  const out = new Map<string, string>();
  for (const [address, label] of base)
    out.set(address, (uses.get(label) ?? 0) > 1 && label !== address ? `${label} (${address})` : label);
  return out;
}

/** `list` with the router's entries first, otherwise in the given order. */
export function routersFirst<T extends { readonly address: string }>(
  list: readonly T[],
  devices: ReadonlyMap<string, DeviceInfo>,
): T[] {
  const routers = list.filter((d) => devices.get(d.address)?.isRouter === true);
  if (routers.length === 0) return [...list];
  return [...routers, ...list.filter((d) => devices.get(d.address)?.isRouter !== true)];
}

/**
 * Tracks when devices first appeared live, for the "new" highlight: `seen` at the first live query of an
 * address, `current(now)` for the ones still within NEW_DEVICE_MS. Time is passed in.
 */
export class NewDevices {
  private readonly since = new Map<string, number>();

  /** Marks `address` as new at `now`. */
  add(address: string, now: number): void {
    this.since.set(address, now);
  }

  /** Forgets highlights older than NEW_DEVICE_MS; true when any was forgotten. */
  expire(now: number): boolean {
    let changed = false;
    for (const [address, at] of this.since)
      if (now - at >= NEW_DEVICE_MS) {
        this.since.delete(address);
        changed = true;
      }
    return changed;
  }

  /** The addresses highlighted now. */
  current(): ReadonlySet<string> {
    return new Set(this.since.keys());
  }

  get size(): number {
    return this.since.size;
  }
}
