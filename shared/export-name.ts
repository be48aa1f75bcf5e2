/**
 * The file name an export gets, the same in the desktop app (the save dialog's suggestion) and in a browser
 * (the headless service's Content-Disposition and the page's PNG download).
 */
import type { ExportKind } from './api';
import type { QueryFilter } from './events';
import { isoLocal } from './time';

const PREFIX: Readonly<Record<ExportKind, string>> = {
  csv: 'dns-witness',
  pcap: 'dns-witness',
  dnstap: 'dns-witness',
  png: 'dns-witness-dashboard',
  bundle: 'dns-witness-evidence',
};
const EXTENSION: Readonly<Record<ExportKind, string>> = {
  csv: 'csv',
  pcap: 'pcap',
  dnstap: 'dnstap',
  png: 'png',
  bundle: 'zip',
};

/**
 * "dns-witness-192.168.1.1-2026-11-23T0105.csv": the kind, the device the filter names (not for the PNG,
 * which shows the whole dashboard) and the local minute of `now`. Only letters, digits, ".", "-" and "T",
 * so it is safe on every platform and inside a quoted header. Pure, never throws.
 */
export function exportFileName(kind: ExportKind, filter: QueryFilter, now: number): string {
  const stamp = isoLocal(now).slice(0, 16).replace(':', '');
  const client = kind !== 'png' && filter.client ? `-${filter.client.replace(/[^A-Za-z0-9.-]/g, '-')}` : '';
  return `${PREFIX[kind]}${client}-${stamp}.${EXTENSION[kind]}`;
}
