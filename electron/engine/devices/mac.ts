/**
 * "0:1b:2c:3:4:5" (macOS), "00-1B-2C-03-04-05" (Windows), "00:1b:2c:03:04:05" (Linux) →
 * "00:1b:2c:03:04:05"; "" when it is not a 48-bit MAC. Never throws.
 */
export function normalizeMac(text: string): string {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== 6) return '';
  let out = '';
  for (const p of parts) {
    if (!/^[0-9a-fA-F]{1,2}$/.test(p)) return '';
    out += (out ? ':' : '') + p.toLowerCase().padStart(2, '0');
  }
  return out;
}

function firstOctet(mac: string): number {
  return parseInt(mac.slice(0, 2), 16);
}

/** IEEE 802: the I/G bit (0x01 of the first octet) marks group addresses, which no device owns. */
export function isMulticastMac(mac: string): boolean {
  return (firstOctet(mac) & 0x01) !== 0;
}

/**
 * IEEE 802: the U/L bit (0x02) marks locally administered addresses, e.g. randomized "private Wi-Fi" MACs.
 */
export function isLocallyAdministered(mac: string): boolean {
  return (firstOctet(mac) & 0x02) !== 0;
}

/**
 * A normalised MAC that can name one device: not all zeros (incomplete entries), not multicast or broadcast.
 */
export function isDeviceMac(mac: string): boolean {
  return mac.length === 17 && mac !== '00:00:00:00:00:00' && !isMulticastMac(mac);
}
