/** How devices are named for people, the same in the dashboard, the API and the CSV. */
import type { DeviceInfo } from './events';

/** Longest device name the user may give, in characters (code points). */
export const DEVICE_NAME_MAX = 64;

/** The name a person knows the device by: the user's name, else its hostname; "" when it has neither. */
export function deviceName(d: Pick<DeviceInfo, 'name' | 'hostname'>): string {
  return d.name || d.hostname;
}

/**
 * What the JSON exports (/api/summary, the evidence bundle's summary.json) say about a device, snake_case like
 * the CSV: name (see deviceName), hostname, MAC, vendor, whether the MAC is private, whether it is the router.
 */
export function deviceFields(d: DeviceInfo) {
  return {
    name: deviceName(d),
    hostname: d.hostname,
    mac: d.mac,
    vendor: d.vendor,
    private_mac: d.privateMac,
    is_router: d.isRouter,
  };
}

/** What to call the device in a list or a CSV cell: its name (see deviceName), else its address. */
export function deviceLabel(d: Pick<DeviceInfo, 'name' | 'hostname' | 'address'>): string {
  return deviceName(d) || d.address;
}

/** What is assumed about an address nobody has looked up yet: only the address is known. */
export function unknownDevice(address: string): DeviceInfo {
  return { address, mac: '', vendor: '', privateMac: false, hostname: '', name: '', isRouter: false };
}
